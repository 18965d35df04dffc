"""Temporal away while changes arrive: the real dev server, the API and the worker as processes
(the way they run in production), LINE's emulator in this process. Every kind of change the
API accepts is made while Temporal is stopped; once it is back, each must be acted on exactly
once (tests/faults/test_outage.py). Also the API SIGKILLed between the commit of a change and
its dispatch."""

import asyncio
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from bench import processes
from bench.processes import temporal_server, wait_for_port
from core.serve import free_port
from emulator.control import postback_user
from emulator.webhooks import follow_event, post_events, unfollow_event
from tests.faults.processes import environment, line_emulator
from tests.support.stack import ADMIN_TOKEN


class Outage:
    """The stack, and Temporal (or the API) stopped and started again on demand."""

    def __init__(self, folder: Path, database_url: str, exits: AsyncExitStack):
        self.folder, self.database_url, self.exits = folder, database_url, exits
        self.timeline: list[tuple[float, str]] = []
        self.started = time.monotonic()
        self.down_seconds = 0.0

    def note(self, what: str) -> None:
        self.timeline.append((round(time.monotonic() - self.started, 1), what))

    async def start(self) -> None:
        self.temporal, self.address = temporal_server(self.folder)
        self.temporal.start()
        self.exits.callback(self.temporal.stop)
        await asyncio.to_thread(wait_for_port, self.address, self.temporal)
        self.api_port = free_port()
        self.line, line_url = await line_emulator(self.exits, self.api_port)
        env = environment(
            database_url=self.database_url,
            temporal=self.address,
            line_url=line_url,
            task_queue="outage",
            STEPLINE_PUBLIC_URL=f"http://127.0.0.1:{self.api_port}",
            STEPLINE_LINE_TIMEOUT="5",
        )
        self.api_process = processes.api(self.folder, env, self.api_port)
        self.api_process.start()
        self.exits.callback(self.api_process.stop)
        self.worker = processes.worker(self.folder, env)
        self.worker.start()
        self.exits.callback(self.worker.stop)
        await self._api_up()
        self.api = await self.exits.enter_async_context(
            httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{self.api_port}",
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                timeout=60,
            )
        )
        self.temporal_client = await Client.connect(
            self.address, data_converter=pydantic_data_converter
        )

    async def _api_up(self) -> None:
        await asyncio.to_thread(wait_for_port, f"127.0.0.1:{self.api_port}", self.api_process)

    # --- faults -------------------------------------------------------------------------

    async def stop_temporal(self) -> None:
        await asyncio.to_thread(self.temporal.stop)
        self.down_from = time.monotonic()
        self.note("Temporal stopped")

    async def start_temporal(self) -> None:
        await asyncio.to_thread(self.temporal.start)
        await asyncio.to_thread(wait_for_port, self.address, self.temporal)
        self.down_seconds += time.monotonic() - self.down_from
        self.note("Temporal started again")

    async def kill_api(self) -> None:
        """SIGKILL: what the API committed stays; what it had yet to dispatch waits."""
        await asyncio.to_thread(self.api_process.kill)
        self.note("API SIGKILLed")

    async def start_api(self) -> None:
        await asyncio.to_thread(self.api_process.start)
        await self._api_up()
        self.note("API started again")

    # --- what friends do on LINE --------------------------------------------------------

    async def follow(self, user_id: str) -> None:
        self.line.follow(user_id)
        await self._webhook(follow_event(user_id, int(time.time() * 1000), is_unblocked=False))

    async def unfollow(self, user_id: str) -> None:
        self.line.unfollow(user_id)
        await self._webhook(unfollow_event(user_id, int(time.time() * 1000)))

    async def tap(self, user_id: str, data: str) -> None:
        answer = await postback_user(self.line, user_id, data)
        assert answer["webhook_status"] == 200, answer

    async def _webhook(self, event: dict) -> None:
        result = await post_events(self.line, [event])
        assert result.status == 200, result

    # --- observing ----------------------------------------------------------------------

    def texts(self, user_id: str) -> list[str]:
        """What LINE delivered to the friend, in order."""
        return [
            message.get("text", message["type"])
            for delivery in self.line.deliveries
            if delivery.to == user_id and delivery.delivered
            for message in delivery.messages
        ]

    def pushed(self, user_id: str) -> list[dict]:
        return [m for d in self.line.deliveries if d.to == user_id for m in d.messages]

    async def until(self, check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            found = check()
            if asyncio.iscoroutine(found):
                found = await found
            if found:
                return found
            assert time.monotonic() < deadline, f"never: {what}"
            await asyncio.sleep(0.2)

    async def health(self) -> httpx.Response:
        async with httpx.AsyncClient(base_url=str(self.api.base_url), timeout=10) as anonymous:
            return await anonymous.get("/readyz")

    async def settled(self, timeout: float = 90.0) -> None:
        """Until the API says nothing waits to be acted on any more."""

        async def empty() -> bool:
            answer = await self.health()
            return answer.status_code == 200 and answer.json()["changes"]["pending"] == 0

        await self.until(empty, "every change acted on", timeout)
        self.note("every change acted on")

    async def status(self, workflow_id: str) -> str:
        """The enrollment's status as its workflow tells it."""
        handle = self.temporal_client.get_workflow_handle(workflow_id)
        return (await handle.query("status"))["status"]

    async def signals(self, workflow_id: str, name: str) -> list[dict]:
        """The signals of this name its history holds, with their arguments."""
        handle = self.temporal_client.get_workflow_handle(workflow_id)
        found = []
        async for event in handle.fetch_history_events():
            if event.HasField("workflow_execution_signaled_event_attributes"):
                signaled = event.workflow_execution_signaled_event_attributes
                if signaled.signal_name == name:
                    payloads = signaled.input.payloads
                    found.append(pydantic_data_converter.payload_converter.from_payloads(
                        payloads, [dict]
                    )[0])  # fmt: skip
        return found


def survey_data(messages: list[dict], index: int = 0) -> str:
    """The postback data of a survey question's option `index`, as LINE shows it."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("type") == "postback" and str(value.get("data", "")).startswith(
                "stepline-survey:"
            ):
                found.append(value["data"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(messages)
    return sorted(set(found), key=lambda data: int(data.rsplit(":", 1)[1]))[index]
