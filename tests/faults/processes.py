"""What the fault runs share: LINE's emulator in this process, pointed at the API to come, and
the environment the API and the worker processes run with."""

import asyncio
import os
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import processes
from bench.processes import Process
from core.serve import serving
from emulator.app import EmulatorConfig
from emulator.app import create_app as create_emulator
from emulator.state import EmulatorState
from tests.support.stack import ACCESS_TOKEN, ADMIN_TOKEN, CHANNEL_SECRET


async def line_emulator(exits: AsyncExitStack, api_port: int) -> tuple[EmulatorState, str]:
    """The emulator, serving until `exits` closes; its state and URL."""
    emulator = create_emulator(
        EmulatorConfig(
            access_token=ACCESS_TOKEN,
            channel_secret=CHANNEL_SECRET,
            webhook_url=f"http://127.0.0.1:{api_port}/webhooks/line",
        )
    )
    url = await exits.enter_async_context(serving(emulator))
    return emulator.state.emulator, url


def environment(
    *, database_url: str, temporal: str, line_url: str, task_queue: str, **more: str
) -> dict[str, str]:
    """STEPLINE_… and LINE_… for `python worker.py` and `uvicorn api.app:app`."""
    return {
        "STEPLINE_DATABASE_URL": database_url,
        "STEPLINE_TEMPORAL_ADDRESS": temporal,
        "STEPLINE_TASK_QUEUE": task_queue,
        "STEPLINE_ADMIN_TOKEN": ADMIN_TOKEN,
        "LINE_API_BASE_URL": line_url,
        "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
        "LINE_CHANNEL_SECRET": CHANNEL_SECRET,
        "PYTHONUNBUFFERED": "1",
        **more,
    }


@dataclass
class Pair:
    """`python worker.py` and the API under uvicorn, started; an admin client of the API."""

    worker: Process
    api: Process
    admin: httpx.AsyncClient

    async def activated(self, definition: dict) -> str:
        """Create and activate a scenario; its id."""
        created = await self.admin.post("/scenarios", json=definition)
        assert created.status_code == 201, created.text
        scenario_id = created.json()["id"]
        activated = await self.admin.post(f"/scenarios/{scenario_id}/activate")
        assert activated.status_code == 200, activated.text
        return scenario_id


async def worker_and_api(
    exits: AsyncExitStack, folder: Path, env: dict[str, str], api_port: int, *, stop: float = 20
) -> Pair:
    """Both processes with `env` alone (no STEPLINE_/LINE_ variable of this machine), stopped
    with `exits` (the worker given `stop` seconds to drain), and the API listening."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("STEPLINE_", "LINE_"))}
    worker = processes.worker(folder, env)
    worker.env = clean | env
    worker.start()
    exits.callback(worker.stop, stop)
    api = processes.api(folder, env, api_port)
    api.env = clean | env
    api.start()
    exits.callback(api.stop)
    await asyncio.to_thread(processes.wait_for_port, f"127.0.0.1:{api_port}", api)
    admin = await exits.enter_async_context(
        httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{api_port}",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=30,
        )
    )
    return Pair(worker, api, admin)
