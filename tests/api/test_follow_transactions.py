"""What a follow costs the store: on SQLite each write transaction waits for a process-wide turn
(store/turns.py), so the processor handles a follow in two — the follow, profile and enrollment
rows, then the event marked processed — with LINE and Temporal asked while none is open. And
what happens when it stops between the two."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event
from temporalio.service import RPCError

import triggers.enrol
from activities.line_client import LineUnavailable
from store.tables import Enrollment, Friend, WebhookEvent
from tests.api.helpers import count, scenario, text
from tests.support.stack import user


@dataclass
class Transactions:
    """The transactions one asyncio task begins (others' — the worker's — are not counted)."""

    task: asyncio.Task
    writes: int = 0
    reads: int = 0
    open: set = field(default_factory=set)  # their connections, until they end
    asked_while_open: list[str] = field(default_factory=list)

    def ask(self, what: str) -> None:
        """LINE or Temporal is asked now: no transaction of this task may be open."""
        if self.open:
            self.asked_while_open.append(what)


@contextmanager
def transactions_of_this_task(db) -> Iterator[Transactions]:
    seen = Transactions(asyncio.current_task())
    engine = db.engine.sync_engine

    def on_begin(connection) -> None:
        if asyncio.current_task() is not seen.task:
            return
        seen.open.add(connection)
        if connection.get_execution_options().get("stepline_reading"):
            seen.reads += 1
        else:
            seen.writes += 1

    def on_end(connection) -> None:  # a session may end it in a task of its own (shielded)
        seen.open.discard(connection)

    listeners = [("begin", on_begin), ("commit", on_end), ("rollback", on_end)]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        yield seen
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)


def watch_outside_calls(monkeypatch, stack, seen: Transactions) -> None:
    """Note every LINE profile request and Temporal start or unblock the follow makes."""
    friendship = stack.app.state.services.friendship
    line = friendship.profiles

    class WatchedLine:
        async def get_profile(self, user_id: str):
            seen.ask("LINE get profile")
            return await line.get_profile(user_id)

    monkeypatch.setattr(friendship, "profiles", WatchedLine())
    for name in ("start_enrollment", "unblock_enrollments"):
        original = getattr(triggers.enrol, name)

        async def watched(*args, _original=original, _name=name, **kwargs):
            seen.ask(f"Temporal {_name}")
            return await _original(*args, **kwargs)

        monkeypatch.setattr(triggers.enrol, name, watched)


def held_back(monkeypatch, stack) -> list[str]:
    """Events the webhook records are left for the test to process (the processor lags)."""
    lagging: list[str] = []
    processor = stack.app.state.services.processor
    monkeypatch.setattr(processor, "submit", lambda event_id, _user: lagging.append(event_id))
    return lagging


async def test_a_follow_is_processed_in_two_write_transactions(stack, monkeypatch):
    first = await stack.scenario(
        scenario(text("welcome", "Welcome"), {"id": "w", "type": "wait", "duration": "P7D"})
    )
    second = await stack.scenario(
        scenario(text("hello", "Hello"), {"id": "w", "type": "wait", "duration": "P7D"})
    )
    friend = user(300)
    lagging = held_back(monkeypatch, stack)
    await stack.follow(friend, settle=False, display_name="Mio", language="ja")
    assert len(lagging) == 1

    processor = stack.app.state.services.processor
    with transactions_of_this_task(stack.db) as seen:
        watch_outside_calls(monkeypatch, stack, seen)
        await processor.process(lagging[0])
    assert seen.writes <= 2, seen  # follow + profile + enrollment rows; marked processed
    assert not seen.open and seen.asked_while_open == [], seen
    assert seen.reads >= 2  # the event, and the cached profile before asking LINE

    async with stack.db.session() as session:
        row = await session.get(Friend, friend)
        event_row = await session.get(WebhookEvent, lagging[0])
    assert (row.following, row.epoch, row.display_name, row.language) == (True, 1, "Mio", "ja")
    assert row.profile_at is not None
    assert event_row.processed_at is not None
    assert await count(stack, Enrollment, Enrollment.user_id == friend) == 2
    await stack.until_status(first, friend, "waiting", step="w")
    await stack.until_status(second, friend, "waiting", step="w")
    assert sorted(await stack.texts(friend)) == ["Hello", "Welcome"]


async def test_an_unfollow_is_processed_in_two_write_transactions(stack, monkeypatch):
    await stack.scenario(
        scenario(text("welcome", "Welcome"), {"id": "w", "type": "wait", "duration": "P7D"})
    )
    friend = user(301)
    await stack.follow(friend)
    await stack.until_texts(friend, ["Welcome"])
    lagging = held_back(monkeypatch, stack)
    answer = (await stack.emu.post(f"/emulator/users/{friend}/unfollow")).json()
    assert answer["webhook_status"] == 200 and len(lagging) == 1

    processor = stack.app.state.services.processor
    with transactions_of_this_task(stack.db) as seen:
        await processor.process(lagging[0])
    assert seen.writes <= 2, seen  # the unfollow and the live enrollments; marked processed
    assert not seen.open, seen


async def test_a_follow_whose_profile_line_fails_to_give_still_enrols(stack, monkeypatch):
    scenario_id = await stack.scenario(scenario(text("welcome", "Welcome")))
    friend = user(302)
    asked: list[str] = []

    class BrokenLine:
        async def get_profile(self, user_id: str):
            asked.append(user_id)
            raise LineUnavailable("LINE answered 500", status=500)

    monkeypatch.setattr(stack.app.state.services.friendship, "profiles", BrokenLine())
    await stack.follow(friend)
    assert asked == [friend]
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == ["Welcome"]
    async with stack.db.session() as session:
        row = await session.get(Friend, friend)
        events = (await session.exec(WebhookEvent.__table__.select())).all()
    assert row.following and row.profile_at is None
    assert [(e.processed_at is not None, e.last_error) for e in events] == [(True, None)]


async def test_a_stop_between_the_rows_and_the_start_is_made_good_by_the_sweep(stack, monkeypatch):
    """The rows are committed and the process stops before Temporal starts the workflow: the
    event is still unprocessed, so the sweep handles it again and the workflow starts, once."""
    scenario_id = await stack.scenario(
        scenario(text("welcome", "Welcome"), {"id": "w", "type": "wait", "duration": "P7D"})
    )
    friend = user(303)
    processor = stack.app.state.services.processor
    enroller = stack.app.state.services.friendship.enroller
    lagging = held_back(monkeypatch, stack)
    await stack.follow(friend, settle=False)

    async def stopped(admission):
        raise asyncio.CancelledError  # as the process going away: nothing after it runs

    monkeypatch.setattr(enroller, "start", stopped)
    try:
        await processor.process(lagging[0])
    except asyncio.CancelledError:
        pass
    else:
        raise AssertionError("the start was never reached")
    async with stack.db.session() as session:
        pending = await session.get(WebhookEvent, lagging[0])
        rows = (await session.exec(Enrollment.__table__.select())).all()
    assert pending.processed_at is None
    assert [(r.user_id, r.status) for r in rows] == [(friend, "waiting")]
    try:
        await stack.enrollment(scenario_id, friend).describe()
    except RPCError:
        pass  # not started
    else:
        raise AssertionError("the workflow was started")

    monkeypatch.undo()  # the process is back: its sweep finds the event
    assert await processor.sweep(everything=True) == 1
    await stack.settle()
    await stack.until_status(scenario_id, friend, "waiting", step="w")
    run = (await stack.enrollment(scenario_id, friend).describe()).run_id
    async with stack.db.session() as session:
        done = await session.get(WebhookEvent, lagging[0])
    assert done.processed_at is not None
    assert await processor.sweep(everything=True) == 0

    # handled again all the same (a redelivery racing the sweep): still that one run
    await stack.app.state.services.friendship.handle(done)
    assert (await stack.enrollment(scenario_id, friend).describe()).run_id == run
    assert await count(stack, Enrollment) == 1
    await asyncio.sleep(0.2)
    assert await stack.texts(friend) == ["Welcome"]
