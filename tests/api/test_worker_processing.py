"""STEPLINE_WEBHOOK_PROCESSOR=worker: the API only verifies, records and answers; the worker's
dispatcher takes the changes from the outbox, enrols (eager workflow start) and blocks."""

import asyncio

import pytest
from sqlmodel import select

from store.tables import Enrollment, WebhookEvent
from tests.api.helpers import count, enrollment_at, scenario, text
from tests.support.pipeline import waiting
from tests.support.stack import running_stack, user
from worker import dispatching


@pytest.fixture
async def worker_stack(ts_env, sqlite_url):
    async with running_stack(ts_env, database_url=sqlite_url, webhook_processor="worker") as s:
        yield s


async def _events(stack, user_id: str) -> list[WebhookEvent]:
    async with stack.db.reading() as session:
        statement = select(WebhookEvent).where(WebhookEvent.user_id == user_id)
        return list(await session.exec(statement))


async def test_the_worker_enrols_and_blocks_what_the_api_recorded(worker_stack):
    stack = worker_stack
    assert stack.app.state.services.dispatcher is None  # the API acts on nothing
    scenario_id = await stack.scenario(
        scenario(text("welcome", "Welcome"), {"id": "w", "type": "wait", "duration": "P7D"})
    )
    friend = user(301)
    answer = (await stack.emu.post(f"/emulator/users/{friend}/follow")).json()
    assert answer["webhook_status"] == 200
    await stack.until_texts(friend, ["Welcome"])
    await enrollment_at(stack, scenario_id, friend, "w")

    await stack.unfollow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "blocked"
    events = await _events(stack, friend)
    assert sorted(event.type for event in events) == ["follow", "unfollow"]
    assert all(event.processed_at is not None and event.attempts == 1 for event in events)
    assert await stack.texts(friend) == ["Welcome"]
    assert await count(stack, Enrollment) == 1


async def test_without_a_worker_the_changes_wait_in_the_outbox_for_one(ts_env, sqlite_url):
    async with running_stack(
        ts_env, database_url=sqlite_url, worker=False, webhook_processor="worker"
    ) as stack:
        await stack.scenario(scenario(text("welcome", "Welcome")))
        friend = user(302)
        answer = (await stack.emu.post(f"/emulator/users/{friend}/follow")).json()
        assert answer["webhook_status"] == 200
        await asyncio.sleep(0.5)
        [event] = await _events(stack, friend)
        assert event.processed_at is None
        assert await count(stack, Enrollment) == 0
        assert await waiting(stack) == {"webhook": 1}

        # a worker's dispatcher, once there is one (no Temporal worker: the workflow starts
        # and waits for one)
        async with dispatching(stack.settings, ts_env.client, stack.db) as dispatcher:
            stack.dispatcher = dispatcher
            await stack.settle()
        [event] = await _events(stack, friend)
        assert event.processed_at is not None
        assert await count(stack, Enrollment, Enrollment.user_id == friend) == 1
