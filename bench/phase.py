"""One benchmark phase: its Temporal dev server, the LINE stand-in and the processes under
test, waiting for what they do, and what the phase measured."""

import asyncio
import os
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from bench.measure import (
    Figures,
    ack_figures,
    cpu_seconds,
    file_bytes,
    lateness_figures,
    peak_rss_mb,
)
from bench.plan import Plan
from bench.processes import Process, temporal_server, wait_for_port
from core.serve import free_port


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
        arrivals = [at for user, _key, at, *_ in pushes if user in waking]
        per_friend = Counter(user for user, *_ in pushes if user in waking)
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
