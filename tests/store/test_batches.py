"""Group commit (store/batches.py): concurrent writes share transactions, a bad item fails only
its caller, one writer serves several event loops, close() flushes; on SQLite and (when
configured) PostgreSQL."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func
from sqlalchemy import exc as sa_exc
from sqlmodel import col, select

from store import friends, webhooks
from store.batches import GroupCommit
from store.db import Database
from store.tables import Friend, WebhookEvent
from store.upsert import insert_ignore
from tests.support.stack import user

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@contextmanager
def transactions(db: Database) -> Iterator[dict[str, int]]:
    """Counts the transactions begun and committed on the database's engine meanwhile."""
    counted = {"begin": 0, "commit": 0}

    def on_begin(_connection):
        counted["begin"] += 1

    def on_commit(_connection):
        counted["commit"] += 1

    engines = db.sync_engines()  # the group commits write on the writer thread's (SQLite)
    for engine in engines:
        event.listen(engine, "begin", on_begin)
        event.listen(engine, "commit", on_commit)
    try:
        yield counted
    finally:
        for engine in engines:
            event.remove(engine, "begin", on_begin)
            event.remove(engine, "commit", on_commit)


class Recorder:
    """An `apply` that inserts one friend per item, remembers the batches it was given and
    refuses the item "bad"."""

    def __init__(self):
        self.batches: list[list[str]] = []

    async def __call__(self, session, items: list[str]) -> list[str]:
        self.batches.append(list(items))
        for item in items:
            if item == "bad":
                raise ValueError("a bad item")
            await insert_ignore(session, Friend, [{"user_id": item, "attributes": {}}])
        return [f"written {item}" for item in items]


async def friends_in(db: Database, user_ids: list[str]) -> set[str]:
    async with db.reading() as session:
        statement = select(Friend.user_id).where(col(Friend.user_id).in_(user_ids))
        return set(await session.exec(statement))


async def test_concurrent_submits_share_a_few_transactions(db):
    apply = Recorder()
    writer = GroupCommit(db, apply)
    ids = [user(1000 + n) for n in range(100)]
    with transactions(db) as counted:
        results = await asyncio.gather(*(writer.submit(item) for item in ids))
    assert results == [f"written {item}" for item in ids]
    # the first is written at once, the 99 that queued meanwhile in the next transaction
    assert writer.batches == counted["commit"] == len(apply.batches) <= 3
    assert counted["begin"] == counted["commit"]
    assert [item for batch in apply.batches for item in batch] == ids  # in submission order
    assert await friends_in(db, ids) == set(ids)


async def test_a_lone_item_is_written_at_once(db):
    apply = Recorder()
    writer = GroupCommit(db, apply)
    with transactions(db) as counted:
        assert await asyncio.wait_for(writer.submit(user(1100)), 5) == f"written {user(1100)}"
    assert counted["commit"] == 1 and apply.batches == [[user(1100)]]
    assert await friends_in(db, [user(1100)]) == {user(1100)}


async def test_batches_are_no_larger_than_max_batch(db):
    apply = Recorder()
    writer = GroupCommit(db, apply, max_batch=10)
    ids = [user(1200 + n) for n in range(45)]
    with transactions(db) as counted:
        await asyncio.gather(*(writer.submit(item) for item in ids))
    assert max(len(batch) for batch in apply.batches) <= 10
    assert counted["commit"] == len(apply.batches) >= 5
    assert await friends_in(db, ids) == set(ids)


async def test_a_failing_item_fails_only_its_caller(db):
    apply = Recorder()
    writer = GroupCommit(db, apply)
    ids = [user(1300 + n) for n in range(10)]
    items = [*ids[:5], "bad", *ids[5:]]
    outcomes = await asyncio.gather(
        *(writer.submit(item) for item in items), return_exceptions=True
    )
    for item, outcome in zip(items, outcomes, strict=True):
        if item == "bad":
            assert isinstance(outcome, ValueError)
        else:
            assert outcome == f"written {item}"
    # the batch of 11 failed as a whole, then each item was written alone
    assert writer.retried == 1
    assert apply.batches == [items, *([item] for item in items)]
    assert await friends_in(db, [*ids, "bad"]) == set(ids)
    # and the writer goes on
    assert await writer.submit(user(1399)) == f"written {user(1399)}"


async def test_when_the_database_fails_every_caller_hears_at_once(db):
    """Unreachable, or its pool exhausted: writing the batch again item by item would only
    make each caller wait for the same failure."""
    calls: list[int] = []

    async def unreachable(session, items):
        calls.append(len(items))
        raise sa_exc.TimeoutError("QueuePool limit reached")

    writer = GroupCommit(db, unreachable)
    outcomes = await asyncio.gather(*(writer.submit(n) for n in range(10)), return_exceptions=True)
    assert all(isinstance(outcome, sa_exc.TimeoutError) for outcome in outcomes)
    assert calls == [10] and writer.retried == 0


async def test_apply_must_answer_every_item(db):
    async def short(session, items):
        return items[:-1]

    writer = GroupCommit(db, short)
    with pytest.raises(RuntimeError, match="1 items"):
        await writer.submit("x")


async def test_close_writes_everything_submitted(db):
    apply = Recorder()
    writer = GroupCommit(db, apply)
    ids = [user(1400 + n) for n in range(30)]
    pending = [asyncio.ensure_future(writer.submit(item)) for item in ids]
    await asyncio.sleep(0)  # submitted, nothing written yet
    assert not any(task.done() for task in pending)
    await writer.close()
    assert await friends_in(db, ids) == set(ids)
    assert [task.result() for task in pending] == [f"written {item}" for item in ids]
    await writer.close()  # nothing left: returns at once
    assert await writer.submit(user(1430)) == f"written {user(1430)}"  # still usable


async def test_a_caller_that_gives_up_before_its_batch_is_not_written(db):
    apply = Recorder()
    writer = GroupCommit(db, apply)
    kept = asyncio.ensure_future(writer.submit(user(1500)))
    dropped = asyncio.ensure_future(writer.submit(user(1501)))
    await asyncio.sleep(0)  # both queued
    dropped.cancel()
    assert await kept == f"written {user(1500)}"
    assert await friends_in(db, [user(1500), user(1501)]) == {user(1500)}


def test_one_writer_serves_one_event_loop_after_another(database_url):
    """The API, the worker and the tests each have loops of their own: a writer made in one
    works in the next, and a loop that closed leaves nothing behind."""
    db = Database(database_url)  # made outside any loop, as the writer is
    apply = Recorder()
    writer = GroupCommit(db, apply)

    async def in_a_loop(first: int) -> None:
        try:
            await db.migrate()
            ids = [user(first + n) for n in range(20)]
            results = await asyncio.gather(*(writer.submit(item) for item in ids))
            assert results == [f"written {item}" for item in ids]
            assert await friends_in(db, ids) == set(ids)
            await writer.close()
        finally:
            await db.close()  # the pool's connections go with their loop; the engine stays

    for first in (1600, 1700):  # loops of their own, leaving the thread's current loop be
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(in_a_loop(first))
        finally:
            loop.close()
    assert writer.items == 40 and writer.batches <= 6
    assert len(writer._lanes) <= 1  # the first loop's queue went with that loop


async def test_two_loops_at_once(db):
    """The same writer used at the same time from this loop and another thread's: each loop
    has its own queue and task, and their transactions take turns."""
    # connected once first: SQLAlchemy's first connect of an engine (the dialect's set-up) is
    # guarded by an asyncio.Lock, which two loops connecting for the first time at the same
    # moment can hang on, with or without a writer
    await db.ping()
    apply = Recorder()
    writer = GroupCommit(db, apply)

    async def elsewhere() -> list[str]:
        return await asyncio.gather(*(writer.submit(user(1800 + n)) for n in range(20)))

    there, here = await asyncio.gather(
        asyncio.to_thread(asyncio.run, elsewhere()),
        asyncio.gather(*(writer.submit(user(1900 + n)) for n in range(20))),
    )
    assert there == [f"written {user(1800 + n)}" for n in range(20)]
    assert here == [f"written {user(1900 + n)}" for n in range(20)]
    ids = [user(1800 + n) for n in range(20)] + [user(1900 + n) for n in range(20)]
    assert await friends_in(db, ids) == set(ids)
    async with db.reading() as session:
        assert (await session.exec(select(func.count()).select_from(Friend))).one() == 40


def event_row(event_id: str, user_id: str, *, kind: str = "follow", ts: int = 1_000) -> dict:
    return {
        "event_id": event_id,
        "type": kind,
        "user_id": user_id,
        "timestamp_ms": ts,
        "redelivery": False,
        "body": {"type": kind},
    }


async def test_acknowledged_webhooks_in_one_batch_each_get_their_fresh_ids(db):
    """An id two requests of one transaction carry is fresh for the first only, as when they
    were recorded one after the other; a redelivery of a recorded id is fresh for none."""
    a, b, c = user(2000), user(2001), user(2002)
    async with db.session() as session:
        assert await webhooks.record_events(session, rows=[event_row("old", a)]) == ["old"]
    requests = [
        [event_row("e1", a), event_row("e2", b)],
        [event_row("e2", b), event_row("e3", c), event_row("old", a)],
        [event_row("e1", a)],
        [],
    ]
    async with db.session() as session:
        answers = await webhooks.acknowledge(session, requests)
        await session.commit()
    assert answers == [["e1", "e2"], ["e3"], [], []]
    async with db.reading() as session:
        rows = list(await session.exec(select(WebhookEvent.event_id)))
    assert sorted(rows) == ["e1", "e2", "e3", "old"]


async def test_an_acknowledged_unfollow_is_in_the_transaction_of_its_event(db):
    friend = user(2010)
    async with db.session() as session:
        await friends.record_follow(session, user_id=friend, timestamp_ms=1_000, at=NOW)
    unfollow = event_row("u1", friend, kind="unfollow", ts=2_000)
    async with db.session() as session:  # not committed: neither the event nor the block
        assert await webhooks.acknowledge(session, [[unfollow]]) == [["u1"]]
        await session.rollback()
    async with db.reading() as session:
        assert await webhooks.get_event(session, event_id="u1") is None
        assert (await friends.get_friend(session, user_id=friend)).following is True

    writer = GroupCommit(db, webhooks.acknowledge)
    stale = event_row("u0", friend, kind="unfollow", ts=500)  # older than the follow
    answers = await asyncio.gather(
        writer.submit([unfollow]), writer.submit([stale]), writer.submit([unfollow])
    )
    assert answers == [["u1"], ["u0"], []]
    async with db.reading() as session:
        row = await friends.get_friend(session, user_id=friend)
    assert (row.following, row.state_at_ms) == (False, 2_000)
    assert row.blocked_at is not None and row.blocked_at.timestamp() == 2.0


async def test_many_acknowledgements_share_transactions(db):
    writer = GroupCommit(db, webhooks.acknowledge)
    requests = [[event_row(f"many{n}-{k}", user(2100 + n)) for k in range(3)] for n in range(50)]
    with transactions(db) as counted:
        answers = await asyncio.gather(*(writer.submit(rows) for rows in requests))
    assert answers == [[row["event_id"] for row in rows] for rows in requests]
    assert counted["commit"] <= 3
    async with db.reading() as session:
        total = (await session.exec(select(func.count()).select_from(WebhookEvent))).one()
    assert total == 150
