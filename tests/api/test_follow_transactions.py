"""What a follow costs the store: on SQLite each write transaction waits for a process-wide turn
(store/turns.py), so the dispatcher evaluates a follow in one — the follow, profile and
enrollment rows, the start commands, the event marked processed, its outbox row taken — with
LINE asked before it and Temporal after it, while none is open. And what happens when a
dispatcher stops between the rows and the start."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select, update
from temporalio.service import RPCError

import triggers.commands
from line.client import LineUnavailable
from store import outbox, store_thread
from store.pipeline_tables import Outbox
from store.tables import Enrollment, Friend, WebhookEvent
from store.types import utcnow
from tests.api.helpers import count, scenario, text
from tests.support.pipeline import dispatcher_stopped
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

    def on_begin(connection) -> None:
        # on SQLite the writes run on the writer thread, for the task that asked
        if (store_thread.CALLER.get() or asyncio.current_task()) is not seen.task:
            return
        seen.open.add(connection)
        if connection.get_execution_options().get("stepline_reading"):
            seen.reads += 1
        else:
            seen.writes += 1

    def on_end(connection) -> None:  # a session may end it in a task of its own (shielded)
        seen.open.discard(connection)

    listeners = [("begin", on_begin), ("commit", on_end), ("rollback", on_end)]
    engines = db.sync_engines()
    for engine in engines:
        for name, listener in listeners:
            event.listen(engine, name, listener)
    try:
        yield seen
    finally:
        for engine in engines:
            for name, listener in listeners:
                event.remove(engine, name, listener)


def watch_outside_calls(monkeypatch, stack, seen: Transactions) -> None:
    """Note every LINE profile request and Temporal start or signal the follow makes."""
    friendship = stack.dispatcher.evaluator.friendship
    line = friendship.profiles

    class WatchedLine:
        async def get_profile(self, user_id: str):
            seen.ask("LINE get profile")
            return await line.get_profile(user_id)

    monkeypatch.setattr(friendship, "profiles", WatchedLine())
    for name in ("start_enrollment", "signal_each"):
        original = getattr(triggers.commands, name)

        async def watched(*args, _original=original, _name=name, **kwargs):
            seen.ask(f"Temporal {_name}")
            return await _original(*args, **kwargs)

        monkeypatch.setattr(triggers.commands, name, watched)


async def test_a_follow_is_evaluated_in_one_write_transaction_and_started_outside(
    stack, monkeypatch
):
    first = await stack.scenario(
        scenario(text("welcome", "Welcome"), {"id": "w", "type": "wait", "duration": "P7D"})
    )
    second = await stack.scenario(
        scenario(text("hello", "Hello"), {"id": "w", "type": "wait", "duration": "P7D"})
    )
    friend = user(300)
    async with dispatcher_stopped(stack):
        await stack.follow(friend, settle=False, display_name="Mio", language="ja")
        with transactions_of_this_task(stack.db) as seen:
            watch_outside_calls(monkeypatch, stack, seen)
            # the change: taken, evaluated (follow, profile, enrollment rows, the start
            # commands, the event marked processed) in one transaction; then the commands
            assert await stack.dispatcher.run_changes() == 1
            assert seen.writes == 2, seen  # the lease, then the evaluation
            assert await stack.dispatcher.run_commands() == 2  # both starts
            assert seen.writes == 4, seen  # their lease, then their rows deleted
            assert await stack.dispatcher.run_once() == 0
        assert not seen.open and seen.asked_while_open == [], seen
        assert seen.reads >= 1  # the event (and, in tasks of their own, the cached profiles)

    async with stack.db.session() as session:
        row = await session.get(Friend, friend)
        event_row = (await session.exec(WebhookEvent.__table__.select())).one()
    assert (row.following, row.epoch, row.display_name, row.language) == (True, 1, "Mio", "ja")
    assert row.profile_at is not None
    assert event_row.processed_at is not None
    assert await count(stack, Enrollment, Enrollment.user_id == friend) == 2
    await stack.until_status(first, friend, "waiting", step="w")
    await stack.until_status(second, friend, "waiting", step="w")
    assert sorted(await stack.texts(friend)) == ["Hello", "Welcome"]


async def test_an_unfollow_is_evaluated_in_one_write_transaction(stack):
    await stack.scenario(
        scenario(text("welcome", "Welcome"), {"id": "w", "type": "wait", "duration": "P7D"})
    )
    friend = user(301)
    await stack.follow(friend)
    await stack.until_texts(friend, ["Welcome"])
    async with dispatcher_stopped(stack):
        answer = (await stack.emu.post(f"/emulator/users/{friend}/unfollow")).json()
        assert answer["webhook_status"] == 200
        with transactions_of_this_task(stack.db) as seen:
            assert await stack.dispatcher.run_changes() == 1  # the unfollow: the block signals
            assert seen.writes == 2, seen
            assert await stack.dispatcher.run_commands() == 1  # the signal
        assert not seen.open, seen


async def test_a_follow_whose_profile_line_fails_to_give_still_enrols(stack, monkeypatch):
    scenario_id = await stack.scenario(scenario(text("welcome", "Welcome")))
    friend = user(302)
    asked: list[str] = []

    class BrokenLine:
        async def get_profile(self, user_id: str):
            asked.append(user_id)
            raise LineUnavailable("LINE answered 500", status=500)

    monkeypatch.setattr(stack.dispatcher.evaluator.friendship, "profiles", BrokenLine())
    await stack.follow(friend)
    assert asked == [friend]
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == ["Welcome"]
    async with stack.db.session() as session:
        row = await session.get(Friend, friend)
        events = (await session.exec(WebhookEvent.__table__.select())).all()
    assert row.following and row.profile_at is None
    assert [(e.processed_at is not None, e.last_error) for e in events] == [(True, None)]


async def test_a_stop_between_the_rows_and_the_start_is_made_good_once(stack, monkeypatch):
    """The rows and the start command are committed and the process stops before Temporal
    starts the workflow: once its lease has run out, the command is run (by this or another
    dispatcher), and the workflow starts, once."""
    scenario_id = await stack.scenario(
        scenario(text("welcome", "Welcome"), {"id": "w", "type": "wait", "duration": "P7D"})
    )
    friend = user(303)
    async with dispatcher_stopped(stack):
        await stack.follow(friend, settle=False)
        assert await stack.dispatcher.run_changes() == 1  # evaluated: the start is in the outbox

        async def stopped(items):
            raise asyncio.CancelledError  # as the process going away: nothing after it runs

        monkeypatch.setattr(stack.dispatcher.commands, "start_many", stopped)
        with pytest.raises(asyncio.CancelledError):
            await stack.dispatcher.run_commands()
        async with stack.db.session() as session:
            rows = (await session.exec(Enrollment.__table__.select())).all()
            [command] = (await session.exec(select(Outbox))).all()
        assert [(r.user_id, r.status) for r in rows] == [(friend, "waiting")]
        assert command.kind == "start" and command.lease_until is not None
        with pytest.raises(RPCError):
            await stack.enrollment(scenario_id, friend).describe()  # not started
        monkeypatch.undo()
        assert await stack.dispatcher.run_once() == 0  # leased: not taken again yet
        await expire_leases(stack)

    await stack.settle()  # another dispatcher (this one, back) takes it
    await stack.until_status(scenario_id, friend, "waiting", step="w")
    run = (await stack.enrollment(scenario_id, friend).describe()).run_id

    # the same start again (a dispatcher that ran it, then died before deleting its row)
    async with stack.db.session() as session:
        outbox.add(session, "start", command.payload, lane=friend)
        await session.commit()
    await stack.settle()
    assert (await stack.enrollment(scenario_id, friend).describe()).run_id == run
    assert await count(stack, Enrollment) == 1
    await asyncio.sleep(0.2)
    assert await stack.texts(friend) == ["Welcome"]


async def expire_leases(stack) -> None:
    async with stack.db.session() as session:
        await session.exec(update(Outbox).values(lease_until=utcnow() - timedelta(seconds=1)))
        await session.commit()
