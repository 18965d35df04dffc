"""The two phases of a benchmark run, each on a fresh dev server (SQLite file, WAL) and the
same LINE stand-in: the floor (bare Temporal drip) and stepline (API + worker, webhooks)."""

import asyncio
import json
import logging
import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import httpx
import psycopg
from sqlalchemy.engine import make_url
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from bench import processes
from bench.floor import FloorInput, FloorWorkflow
from bench.measure import (
    Figures,
    ack_figures,
    cpu_seconds,
    file_bytes,
    lateness_figures,
    peak_rss_mb,
)
from bench.processes import Process, temporal_server, wait_for_port
from core.serve import free_port
from emulator.webhooks import follow_event, sign

log = logging.getLogger("stepline.bench")
SECRET, TOKEN, ADMIN = "bench-channel-secret", "bench-access-token", "bench-admin"
TICK = 0.1  # follows go out in a burst every tick


@dataclass
class Plan:
    """What one run does: friends waking at T, arriving at `rate` a second, and optionally
    `waiting` more friends enrolled first whose wait ends long after the run."""

    friends: int
    rate: float
    waiting: int = 0
    waiting_rate: float = 400.0
    database: str = "sqlite"  # or a PostgreSQL server's URL (a fresh database on it)
    slack: float | None = None  # seconds from the last follow to T (default: 20 + friends/50)
    webhook_processor: str = "api"  # STEPLINE_WEBHOOK_PROCESSOR: api | worker

    def wake_at(self) -> float:
        """T: after every follow has had time to become a waiting enrollment, so that what
        happens after T is the wake-up alone (the run says when enrolling did not finish)."""
        slack = self.slack if self.slack is not None else 20 + self.friends / 50
        return time.time() + self.friends / self.rate + slack


def user_ids(count: int, prefix: str) -> list[str]:
    """LINE user IDs (U + 32 lowercase hex digits), the first hex digit telling the groups
    apart in logs."""
    return [f"U{prefix}{uuid.uuid4().hex[1:]}" for _ in range(count)]


async def paced(
    count: int, rate: float, action: Callable[[int], Awaitable[float]]
) -> tuple[list[float], float]:
    """Run action(i) for i < count in bursts, `rate` a second; its latencies and the rate
    actually achieved (a slow answer delays nothing: bursts go out on the clock)."""
    per_tick = max(1, round(rate * TICK))
    started = time.monotonic()
    tasks: list[asyncio.Task] = []
    for first in range(0, count, per_tick):
        due = started + (first // per_tick) * TICK
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        tasks += [
            asyncio.create_task(action(i)) for i in range(first, min(count, first + per_tick))
        ]
    sent = time.monotonic() - started
    latencies = await asyncio.gather(*tasks)
    return list(latencies), count / max(sent + TICK, 1e-3)


class Phase:
    """One phase's processes, the stand-in and the server, and what it measured."""

    def __init__(self, name: str, folder: Path, plan: Plan, exits: AsyncExitStack):
        self.name, self.plan, self.exits = name, plan, exits
        self.folder = folder / name
        self.folder.mkdir(parents=True, exist_ok=True)
        self.worker: Process | None = None
        self.api: Process | None = None
        self.cpu_start = time.process_time()
        self.errors = 0  # webhooks that got no answer and were sent again
        self.sleepers_enrolled: float | None = None  # --waiting: their enrolments a second

    def figures(
        self,
        *,
        acks: list[float],
        arrival: float,
        enrolled: float,
        before_t: float,
        began: float,
        **measured,
    ) -> Figures:
        """The phase's figures, from what it timed and measured."""
        return Figures(
            friends=self.plan.friends,
            arrival_per_s=round(arrival, 1),
            enrolments_per_s=enrolled,
            waiting_enrolments_per_s=self.sleepers_enrolled,
            enrolled_before_t_s=round(before_t, 1),
            seconds=round(time.monotonic() - began, 1),
            unanswered=self.errors,
            **ack_figures(acks),
            **measured,
        )

    async def start_common(self) -> None:
        self.server, self.address = temporal_server(self.folder)
        self.serve(self.server, self.address)
        port = free_port()
        self.standin = Process(
            "line",
            [sys.executable, "-m", "bench.standin", "--port", str(port)],
            dict(os.environ),
            self.folder / "line.log",
        )
        self.serve(self.standin, f"127.0.0.1:{port}")
        self.line_url = f"http://127.0.0.1:{port}"
        self.line = await self.exits.enter_async_context(
            httpx.AsyncClient(base_url=self.line_url, timeout=60)
        )
        self.client = await Client.connect(self.address, data_converter=pydantic_data_converter)

    def serve(self, process: Process, address: str | None = None) -> None:
        process.start()
        self.exits.callback(process.stop)
        if address:
            wait_for_port(address, process)

    async def count_started(self, workflow_type: str) -> int:
        counted = await self.client.count_workflows(f'WorkflowType="{workflow_type}"')
        return counted.count

    async def until(self, check: Callable[[], Awaitable[bool]], what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not await check():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: {what} did not happen within {timeout:.0f}s")
            for process in (self.server, self.standin, self.worker):
                if process is not None:
                    process.check_alive()
            await asyncio.sleep(0.25)

    async def delivered(self) -> int:
        return (await self.line.get("/bench/count")).json()["count"]

    async def until_started(
        self, workflow_type: str, total: int, since: float, counted: int | None = None
    ) -> tuple[float, float]:
        """Enrolments started per second (`counted`, default all, of the `total` workflows
        there will be, over the time from the first arrival), and when all were there."""
        await self.until(
            lambda: self._started_at_least(workflow_type, total),
            f"{total} {workflow_type} started",
            timeout=total / 10 + 120,
        )
        return round((counted or total) / (time.monotonic() - since), 1), time.time()

    async def _started_at_least(self, workflow_type: str, count: int) -> bool:
        return await self.count_started(workflow_type) >= count

    async def deliveries(self, wake_at: float, friends: list[str]) -> dict:
        """Wait until every friend's push arrived; lateness against T."""
        await asyncio.sleep(max(0.0, wake_at - time.time()))
        await self.until(
            lambda: self._delivered_at_least(len(friends)),
            f"{len(friends)} pushes",
            timeout=len(friends) / 5 + 120,
        )
        await asyncio.sleep(1.0)  # a late duplicate would show up now
        pushes = (await self.line.get("/bench/pushes")).json()["pushes"]
        waking = set(friends)
        arrivals = [at for user, _key, at in pushes if user in waking]
        per_friend = Counter(user for user, _key, _at in pushes if user in waking)
        return lateness_figures(arrivals, wake_at) | {
            "duplicates": sum(n - 1 for n in per_friend.values())
        }

    async def _delivered_at_least(self, count: int) -> bool:
        return await self.delivered() >= count

    def resources(self, databases: list[Path], enrollments: int, extra_bytes: int = 0) -> dict:
        assert self.worker is not None
        stored = file_bytes(*databases) + extra_bytes
        processes = {"worker": self.worker, "server": self.server, "line": self.standin}
        if self.api is not None:
            processes["api"] = self.api
        cpu = {
            name: round(cpu_seconds(process.child.pid) * 1000 / max(enrollments, 1), 2)
            for name, process in processes.items()
        }
        spent = time.process_time() - self.cpu_start
        cpu["bench"] = round(spent * 1000 / max(enrollments, 1), 2)
        return {
            "cpu_ms_per_friend": cpu,
            "worker_peak_rss_mb": round(peak_rss_mb(self.worker.child.pid), 1),
            "server_peak_rss_mb": round(peak_rss_mb(self.server.child.pid), 1),
            "db_bytes_per_enrollment": round(stored / max(enrollments, 1), 1),
        }


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


def scenario(wake: datetime) -> dict:
    """Wait until T, a branch on an attribute, a message."""
    steps = [
        {"id": "until-t", "type": "wait", "until": wake.isoformat()},
        {
            "id": "plan",
            "type": "branch",
            "branches": [
                {
                    "label": "gold",
                    "when": {"attribute": "plan", "equals": "gold"},
                    "steps": [
                        {"id": "gold", "type": "message", "messages": [{"type": "text", "text": "gold"}]}  # noqa: E501
                    ],
                }
            ],
            "otherwise": [
                {"id": "basic", "type": "message", "messages": [{"type": "text", "text": "hello"}]}
            ],
        },
    ]  # fmt: skip
    return {"name": "bench", "trigger": {"type": "follow"}, "steps": steps}


def sleepers_scenario(added_until: datetime) -> dict:
    """The --waiting friends: a wait that outlasts the run. Only follows up to `added_until`
    enter it, so the friends measured later do not."""
    return {
        "name": "bench: waiting past the run",
        "trigger": {"type": "follow", "added_until": added_until.isoformat()},
        "steps": [
            {"id": "long", "type": "wait", "duration": "P30D"},
            {"id": "later", "type": "message", "messages": [{"type": "text", "text": "later"}]},
        ],
    }


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
        phase.api = processes.api(phase.folder, env, api_port)
        phase.serve(phase.api, f"127.0.0.1:{api_port}")
        phase.worker = processes.worker(phase.folder, env)
        phase.serve(phase.worker)
        api = await exits.enter_async_context(
            httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{api_port}",
                headers={"Authorization": f"Bearer {ADMIN}"},
                timeout=60,
                # idle connections are dropped before uvicorn's keep-alive timeout (5 s) would
                limits=httpx.Limits(
                    max_connections=200, max_keepalive_connections=200, keepalive_expiry=2.0
                ),
            )
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


@asynccontextmanager
async def fresh_database(server_url: str) -> AsyncIterator[str]:
    """A new, empty database on the PostgreSQL server at `server_url`, dropped afterwards."""
    url = make_url(server_url)
    name = f"stepline_bench_{uuid.uuid4().hex[:8]}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def database_bytes(database_url: str) -> int:
    """PostgreSQL's size of the database (SQLite files are measured on disk)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return 0
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as connection:
        row = connection.execute("SELECT pg_database_size(current_database())").fetchone()
    return int(row[0]) if row else 0
