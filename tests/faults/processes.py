"""What the fault runs share: LINE's emulator in this process, pointed at the API to come, and
the environment the API and the worker processes run with."""

from contextlib import AsyncExitStack

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
