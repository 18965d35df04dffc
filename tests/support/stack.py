"""A whole stepline in one test: API and LINE emulator on free ports, a worker, a database,
all against a Temporal test environment."""

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
from fastapi import FastAPI
from sqlmodel import select
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from core.config import Settings
from core.serve import serving
from emulator.app import EmulatorConfig
from emulator.app import create_app as create_emulator
from emulator.config import DEFAULT_LOGIN_CHANNEL_ID, DEFAULT_LOGIN_CHANNEL_SECRET
from emulator.state import EmulatorState
from line.client import LinePusher
from scenarios.runs import EnrollmentStatus
from store.db import Database
from store.enrollment_ids import enrollment_id
from store.tables import Enrollment, Friend, ScenarioVersion, TrackedLink
from tests.support.pipeline import settled
from triggers.dispatch import Dispatcher
from triggers.temporal import date_trigger_id
from worker import create_worker, dispatching
from workflows.enrollment import EnrollmentWorkflow

ACCESS_TOKEN = "test-channel-access-token"
CHANNEL_SECRET = "test-channel-secret"
ADMIN_TOKEN = "test-admin-token"


TASKS = 100  # a test's few enrollments: Temporal's default, cheaper than production's 300


def user(n: int) -> str:
    """A well-formed LINE user ID."""
    return f"U{n:032x}"


@dataclass
class Stack:
    env: WorkflowEnvironment
    settings: Settings
    db: Database
    app: FastAPI
    api: httpx.AsyncClient  # admin-authenticated
    emu: httpx.AsyncClient
    emulator: EmulatorState

    dispatcher: Dispatcher | None = None  # where the changes recorded are acted on

    async def settle(self, timeout: float = 30.0) -> None:
        """Wait until every change recorded so far has been acted on (the outbox is empty)."""
        await settled(self.db, timeout)

    async def follow(self, user_id: str, *, settle: bool = True, **profile: Any) -> dict:
        answer = (await self.emu.post(f"/emulator/users/{user_id}/follow", json=profile)).json()
        assert answer["webhook_status"] == 200, answer
        if settle:
            await self.settle()
        return answer

    async def follow_many(self, user_ids: list[str]) -> None:
        """Many friends follow, handled as the dispatcher handles a follow webhook but with
        no webhook on record and without LINE's round trips (for tests about what happens
        after the follow, with hundreds of friends), then acted on."""
        friendship = (self.dispatcher or self.app.state.services.dispatcher).evaluator.friendship
        async with self.db.session() as session:
            for user_id in user_ids:
                self.emulator.follow(user_id)  # LINE's side: now a friend, no webhook sent
                now = datetime.now(UTC)
                await friendship.follow(session, user_id, int(now.timestamp() * 1000), now)
            await session.commit()
        await self.settle(timeout=30.0 + len(user_ids) / 5)

    async def unfollow(self, user_id: str, *, settle: bool = True) -> dict:
        answer = (await self.emu.post(f"/emulator/users/{user_id}/unfollow")).json()
        assert answer["webhook_status"] == 200, answer
        if settle:
            await self.settle()
        return answer

    async def scenario(self, definition: dict, *, activate: bool = True) -> str:
        created = await self.api.post("/scenarios", json=definition)
        assert created.status_code == 201, created.text
        scenario_id = created.json()["id"]
        if activate:
            answer = await self.api.post(f"/scenarios/{scenario_id}/activate")
            assert answer.status_code in (200, 202), answer.text
        return scenario_id

    def enrollment(self, scenario_id: str, user_id: str, epoch: int = 1) -> WorkflowHandle:
        workflow_id = enrollment_id(scenario_id=scenario_id, user_id=user_id, epoch=epoch)
        return self.env.client.get_workflow_handle_for(EnrollmentWorkflow.run, workflow_id)

    async def outcome(self, scenario_id: str, user_id: str, epoch: int = 1) -> EnrollmentStatus:
        """The enrollment's final status, skipping virtual time until it ends. (Handles from
        get_workflow_handle do not unlock time skipping on their own; started ones do.) One
        started by the dispatcher a moment from now (a switch's) is waited for."""
        handle = self.enrollment(scenario_id, user_id, epoch)
        for _ in range(200):
            try:
                await handle.describe()
                break
            except RPCError as error:
                if error.status != RPCStatusCode.NOT_FOUND:
                    raise
                await asyncio.sleep(0.05)
        async with self.env.time_skipping_unlocked():
            return await handle.result()

    async def summaries(self, scenario_id: str, user_id: str, epoch: int = 1) -> list[str]:
        """The summaries of its timers and activities, in the order of its history."""
        return [
            json.loads(event.user_metadata.summary.data)
            async for event in self.enrollment(scenario_id, user_id, epoch).fetch_history_events()
            if event.HasField("user_metadata") and event.user_metadata.HasField("summary")
        ]

    async def status(self, scenario_id: str, user_id: str, epoch: int = 1) -> EnrollmentStatus:
        return await self.enrollment(scenario_id, user_id, epoch).query(EnrollmentWorkflow.status)

    async def until_status(
        self,
        scenario_id: str,
        user_id: str,
        status: str,
        *,
        step: str | None = None,
        epoch: int = 1,
        timeout: float = 10.0,
    ) -> EnrollmentStatus:
        """Wait (real time, virtual time standing still) until the enrollment has this status
        (at this step): what a signal does, without any timer firing."""
        deadline = asyncio.get_running_loop().time() + timeout
        while (state := await self.status(scenario_id, user_id, epoch)).status != status or (
            step is not None and state.step != step
        ):
            assert asyncio.get_running_loop().time() < deadline, f"still {state}"
            await asyncio.sleep(0.05)
        return state

    async def until_enrolled(self, scenario_id: str, user_id: str, timeout: float = 10.0) -> None:
        """Wait (real time) until the friend has an enrollment in the scenario (for triggers
        that run after the answer, such as a click's)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            rows = (await self.api.get(f"/scenarios/{scenario_id}/enrollments")).json()
            if any(row["user_id"] == user_id for row in rows):
                await self.settle()  # its workflow started
                return
            assert asyncio.get_running_loop().time() < deadline, f"{user_id} never enrolled"
            await asyncio.sleep(0.05)

    async def received(self, user_id: str) -> list[dict]:
        """What LINE accepted for this user, in order (delivered or not)."""
        return (await self.emu.get("/emulator/messages", params={"user_id": user_id})).json()

    async def until_texts(
        self, user_id: str, expected: list[str], timeout: float = 10.0, *, tracked_as: bool = False
    ) -> None:
        """Wait (real time) until the user has received exactly `expected` (text messages;
        with `tracked_as`, texts are compared with their tracked links put back)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while (got := await self.texts(user_id, untracked=tracked_as)) != expected:
            assert asyncio.get_running_loop().time() < deadline, (
                f"{user_id} received {got}, not {expected}"
            )
            await asyncio.sleep(0.05)

    async def texts(self, user_id: str, *, untracked: bool = False) -> list[str]:
        found = [
            message.get("text", message["type"])
            for push in await self.received(user_id)
            if push["delivered"]
            for message in push["messages"]
        ]
        return [await self.untracked(text) for text in found] if untracked else found

    async def untracked(self, text: str) -> str:
        """The text with each tracked link replaced by the URL it stands for."""
        async with self.db.session() as session:
            for token in re.findall(r"/r/([A-Za-z0-9_\-]{22,64})", text):
                link = await session.get(TrackedLink, token)
                base = str(self.settings.public_url).rstrip("/")
                text = text.replace(f"{base}/r/{token}", link.url if link else "?")
        return text


async def _date_schedules(session) -> set[str]:
    """The ids a date-triggered scenario's schedules may have: one per friend."""
    scenarios = {
        row.scenario_id
        for row in await session.exec(select(ScenarioVersion))
        if (row.definition or {}).get("trigger", {}).get("type") == "date"
    }
    if not scenarios:
        return set()
    friends = (await session.exec(select(Friend.user_id))).all()
    return {date_trigger_id(s, f) for s in scenarios for f in friends}


async def _terminate_leftovers(env: WorkflowEnvironment, db: Database) -> None:
    """A test that ends (or fails) with enrollments still running would leave timers and
    activities without a worker, and the shared time-skipping server then stops skipping for
    every later test. End them here, while this stack's worker is still up: once, and again
    for any that a webhook, a click or a step was still starting meanwhile."""
    try:
        await settled(db, timeout=10.0)
    except AssertionError:  # the test left changes that cannot be acted on: end what runs
        pass
    ended: set[str] = set()
    terminated: set[str] = set()
    for _ in range(2):
        async with db.session() as session:
            ids = set((await session.exec(select(Enrollment.id))).all()) - ended
            ids |= await _date_schedules(session) - ended
        for workflow_id in ids:
            try:
                await env.client.get_workflow_handle(workflow_id).terminate("test finished")
                terminated.add(workflow_id)
            except RPCError:
                pass  # already finished, or never started
        ended |= ids
        await asyncio.sleep(0.05)
    for workflow_id in terminated:  # closed for good before the worker goes away
        handle = env.client.get_workflow_handle(workflow_id)
        for _ in range(40):
            if (await handle.describe()).status != WorkflowExecutionStatus.RUNNING:
                break
            await asyncio.sleep(0.05)


def settings_for(*, database_url: str, line_api: str, task_queue: str | None = None) -> Settings:
    return Settings(
        database_url=database_url,
        line_api_base_url=line_api,
        line_channel_access_token=ACCESS_TOKEN,
        line_channel_secret=CHANNEL_SECRET,
        admin_token=ADMIN_TOKEN,
        task_queue=task_queue or f"stepline-test-{uuid.uuid4().hex[:8]}",
        # route links: LINE Login as the emulator plays it
        line_login_channel_id=DEFAULT_LOGIN_CHANNEL_ID,
        line_login_channel_secret=DEFAULT_LOGIN_CHANNEL_SECRET,
        line_login_base_url=line_api,
        # tests try wrong tokens on purpose, many from one address; the default limit is
        # tested by tests/security/test_sessions.py
        auth_failures_per_minute=100_000,
        _env_file=None,
    )


@asynccontextmanager
async def running_stack(
    env: WorkflowEnvironment,
    *,
    database_url: str,
    worker: bool = True,
    line_timeout: float = 5.0,
    webhook_processor: Literal["api", "worker", "process"] = "api",
    multicast: bool = False,
    settings_update: dict[str, Any] | None = None,
    **emulator_options: Any,
) -> AsyncIterator[Stack]:
    async with AsyncExitStack() as stack:
        emulator_app = create_emulator(
            EmulatorConfig(
                access_token=ACCESS_TOKEN, channel_secret=CHANNEL_SECRET, **emulator_options
            )
        )
        emulator_url = await stack.enter_async_context(serving(emulator_app))
        settings = settings_for(database_url=database_url, line_api=emulator_url).model_copy(
            # `process`: the API's child connects to this test's Temporal by its address
            update={
                "webhook_processor": webhook_processor,
                "temporal_address": env.client.service_client.config.target_host,
                **(settings_update or {}),
            }
        )
        app = create_app(settings, temporal=env.client)
        api_url = await stack.enter_async_context(serving(app))
        emulator_app.state.emulator.config.webhook_url = f"{api_url}/webhooks/line"
        db: Database = app.state.services.db
        dispatcher = app.state.services.dispatcher
        if worker:
            line = LinePusher.from_settings(settings, timeout=line_timeout)
            stack.push_async_callback(line.close)
            await stack.enter_async_context(
                create_worker(
                    env.client,
                    task_queue=settings.task_queue,
                    db=db,
                    line=line,
                    public_url=str(settings.public_url),
                    multicast=multicast,
                    tasks=TASKS,
                )
            )

        async def settle_after(response: httpx.Response) -> None:
            """What an admin call changed is acted on before the test goes on (a test of
            the pipeline itself uses a client of its own)."""
            if dispatcher is not None and dispatcher.running:  # a GET too: a click, a route link
                await settled(db)

        api = await stack.enter_async_context(
            httpx.AsyncClient(
                base_url=api_url,
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                timeout=30,
                event_hooks={"response": [settle_after]},
            )
        )
        emu = await stack.enter_async_context(httpx.AsyncClient(base_url=emulator_url, timeout=30))
        if worker and webhook_processor == "worker":  # after the worker: it stops first
            dispatcher = await stack.enter_async_context(dispatching(settings, env.client, db))
        stack.push_async_callback(_terminate_leftovers, env, db)
        yield Stack(env, settings, db, app, api, emu, emulator_app.state.emulator, dispatcher)
