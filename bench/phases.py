"""The two phases of a benchmark run, each on a fresh dev server (SQLite file, WAL) and the
same LINE stand-in: the floor (bare Temporal drip) and stepline (API + worker, webhooks)."""

import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import httpx

from bench import processes
from bench.channel import ADMIN, SECRET, TOKEN
from bench.definitions import scenario, sleepers_scenario
from bench.floor import FloorInput, FloorWorkflow
from bench.measure import Figures
from bench.phase import Phase
from bench.plan import Plan, paced, user_ids
from bench.postgres import database_bytes, fresh_database
from bench.processes import Process
from core.serve import free_port
from emulator.webhooks import follow_event, sign

log = logging.getLogger("stepline.bench")


async def floor_phase(folder: Path, plan: Plan) -> Figures:
    began = time.monotonic()
    async with AsyncExitStack() as exits:
        phase = Phase("floor", folder, plan, exits)
        await phase.start_common()
        phase.worker = Process(
            "floor-worker",
            [
                sys.executable,
                "-m",
                "bench.floor",
                "--address",
                phase.address,
                "--task-queue",
                "floor",
                "--line-url",
                phase.line_url,
            ],  # fmt: skip
            dict(os.environ),
            phase.folder / "worker.log",
        )
        phase.serve(phase.worker)
        friends = user_ids(plan.friends, "f")
        wake_at = plan.wake_at()
        wake = datetime.fromtimestamp(wake_at, UTC)

        async def start(i: int) -> float:
            began = time.monotonic()
            await phase.client.start_workflow(
                FloorWorkflow.run,
                FloorInput(user_id=friends[i], wake_at=wake),
                id=f"floor-{friends[i]}",
                task_queue="floor",
            )
            return time.monotonic() - began

        first = time.monotonic()
        acks, arrival = await paced(plan.friends, plan.rate, start)
        enrolled, all_in = await phase.until_started("FloorWorkflow", plan.friends, first)
        delivered = await phase.deliveries(wake_at, friends)
        resources = phase.resources([phase.folder / "temporal.db"], plan.friends)
    return phase.figures(
        acks=acks,
        arrival=arrival,
        enrolled=enrolled,
        before_t=wake_at - all_in,
        began=began,
        **delivered,
        **resources,
    )


def stepline_env(phase: Phase, api_port: int, database_url: str) -> dict[str, str]:
    return {
        "STEPLINE_DATABASE_URL": database_url,
        "STEPLINE_TEMPORAL_ADDRESS": phase.address,
        "STEPLINE_TASK_QUEUE": "bench",
        "STEPLINE_ADMIN_TOKEN": ADMIN,
        "STEPLINE_PUBLIC_URL": f"http://127.0.0.1:{api_port}",
        "LINE_API_BASE_URL": phase.line_url,
        "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
        "LINE_CHANNEL_SECRET": SECRET,
        "STEPLINE_WEBHOOK_PROCESSOR": phase.plan.webhook_processor,
        "PYTHONUNBUFFERED": "1",
    } | {k: v for k, v in os.environ.items() if k.startswith("STEPLINE_BENCH_")}


async def serve_stepline(
    phase: Phase, exits: AsyncExitStack, env: dict[str, str], api_port: int, **client
) -> httpx.AsyncClient:
    """`uvicorn api.app:app` and `python worker.py` for the phase, as in production; a client
    of the API with the admin token (`client`: more of httpx.AsyncClient's options)."""
    phase.api = processes.api(phase.folder, env, api_port)
    phase.serve(phase.api, f"127.0.0.1:{api_port}")
    phase.worker = processes.worker(phase.folder, env)
    phase.serve(phase.worker)
    return await exits.enter_async_context(
        httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{api_port}",
            headers={"Authorization": f"Bearer {ADMIN}"},
            **client,
        )
    )


async def stepline_phase(folder: Path, plan: Plan) -> Figures:
    began = time.monotonic()
    async with AsyncExitStack() as exits:
        phase = Phase("stepline", folder, plan, exits)
        await phase.start_common()
        api_port = free_port()
        if plan.database == "sqlite":
            database_url = f"sqlite:///{phase.folder}/stepline.db"
        else:
            database_url = await exits.enter_async_context(fresh_database(plan.database))
        env = stepline_env(phase, api_port, database_url)
        api = await serve_stepline(
            phase,
            exits,
            env,
            api_port,
            timeout=60,
            # idle connections are dropped before uvicorn's keep-alive timeout (5 s) would
            limits=httpx.Limits(
                max_connections=200, max_keepalive_connections=200, keepalive_expiry=2.0
            ),
        )
        # aiohttp, not httpx, for the webhooks: a third of the CPU per request, which the
        # machine under test gets instead (LINE's own sender costs this machine nothing)
        hooks = await exits.enter_async_context(
            aiohttp.ClientSession(
                f"http://127.0.0.1:{api_port}",
                connector=aiohttp.TCPConnector(limit=200, keepalive_timeout=2.0),
            )
        )

        async def follow(user_id: str) -> float:
            event = follow_event(user_id, int(time.time() * 1000), is_unblocked=False)
            body = json.dumps({"destination": "Ubench", "events": [event]}).encode()
            headers = {"X-Line-Signature": sign(SECRET, body), "Content-Type": "application/json"}
            began = time.monotonic()
            for _attempt in range(5):  # as LINE does, a webhook with no answer comes again
                try:
                    async with hooks.post("/webhooks/line", data=body, headers=headers) as answer:
                        text = await answer.text()
                    break
                except aiohttp.ClientError:
                    phase.errors += 1
            assert answer.status == 200, text
            return time.monotonic() - began

        sleepers = user_ids(plan.waiting, "5")
        if sleepers:
            await _enrol_sleepers(phase, api, sleepers, follow)
        friends = user_ids(plan.friends, "a")
        wake_at = plan.wake_at()  # the sleepers are in: T counts from now
        await _activate(api, scenario(datetime.fromtimestamp(wake_at, UTC)))
        (phase.folder / "wake_at").write_text(f"{wake_at}\n")  # for a profiler to time itself
        first = time.monotonic()
        acks, arrival = await paced(plan.friends, plan.rate, lambda i: follow(friends[i]))
        enrolled, all_in = await phase.until_started(
            "EnrollmentWorkflow", plan.waiting + plan.friends, first, plan.friends
        )
        delivered = await phase.deliveries(wake_at, friends)
        resources = phase.resources(
            [phase.folder / "temporal.db", phase.folder / "stepline.db"],
            plan.waiting + plan.friends,
            extra_bytes=await database_bytes(database_url),
        )
    return phase.figures(
        acks=acks,
        arrival=arrival,
        enrolled=enrolled,
        before_t=wake_at - all_in,
        began=began,
        **delivered,
        **resources,
    )


async def _activate(api: httpx.AsyncClient, definition: dict) -> str:
    created = await api.post("/scenarios", json=definition)
    assert created.status_code == 201, created.text
    scenario_id = created.json()["id"]
    assert (await api.post(f"/scenarios/{scenario_id}/activate")).status_code == 200
    return scenario_id


async def _enrol_sleepers(
    phase: Phase,
    api: httpx.AsyncClient,
    sleepers: list[str],
    follow: Callable[[str], Awaitable[float]],
) -> None:
    """The --waiting friends follow into a scenario of their own and become waiting
    enrollments before the measured friends arrive (T is set once they are all in)."""
    plan = phase.plan
    added_until = time.time() + len(sleepers) / plan.waiting_rate + 2
    await _activate(api, sleepers_scenario(datetime.fromtimestamp(added_until, UTC)))
    began = time.monotonic()
    await paced(len(sleepers), plan.waiting_rate, lambda i: follow(sleepers[i]))
    phase.sleepers_enrolled, _ = await phase.until_started(
        "EnrollmentWorkflow", len(sleepers), began
    )
    await asyncio.sleep(max(0.0, added_until - time.time()))  # later follows are not sleepers
