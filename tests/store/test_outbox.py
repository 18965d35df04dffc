"""The outbox as dispatchers rely on it, on SQLite and (when configured) PostgreSQL: rows taken
in order per lane, leased to one dispatcher at a time, left for later when they fail, and a
commit that wrote some wakes this process's dispatchers."""

import asyncio
from datetime import timedelta

from sqlmodel import select

from store import outbox, outbox_claims
from store.pipeline_tables import Outbox
from store.types import utcnow

LEASE = timedelta(seconds=60)


async def put(db, *rows: tuple[str, str | None]) -> list[int]:
    """(kind, lane) rows, committed; their seqs."""
    async with db.session() as session:
        added = [
            outbox.add(session, kind, {"n": n}, lane=lane) for n, (kind, lane) in enumerate(rows)
        ]
        await session.commit()
    return [row.seq for row in added]


async def claim(db, owner: str = "a", limit: int = 10, **more) -> list[int]:
    async with db.session() as session:
        rows = await outbox_claims.claim(session, owner=owner, limit=limit, lease=LEASE, **more)
        await session.commit()
    return [row.seq for row in rows]


async def test_only_the_oldest_row_of_each_lane_is_taken(db):
    a1, b1, a2, free1, b2 = await put(
        db, ("signal", "A"), ("start", "B"), ("signal", "A"), ("friends", None), ("signal", "B")
    )
    assert await claim(db) == [a1, b1, free1]  # a lane's second row waits for its first
    assert await claim(db, owner="b") == []  # leased: nobody else takes them
    async with db.session() as session:
        assert await outbox.done(session, [a1]) == 1
        await session.commit()
    assert await claim(db, owner="b") == [a2]  # A's next; B still waits behind b1
    async with db.session() as session:
        assert await outbox.take(session, [b1, b1, 999_999]) == [b1]  # gone ones are not
        await session.commit()
    assert await claim(db, owner="b") == [b2]
    assert await claim(db, kinds=["start"]) == []


async def test_a_lease_that_ran_out_is_taken_again(db):
    (seq,) = await put(db, ("start", "A"))
    assert await claim(db, owner="a") == [seq]
    later = utcnow() + LEASE + timedelta(seconds=1)  # the dispatcher that had it died
    async with db.session() as session:
        rows = await outbox_claims.claim(session, owner="b", limit=10, lease=LEASE, now=later)
        await session.commit()
    assert [(row.seq, row.owner) for row in rows] == [(seq, "b")]


async def test_two_dispatchers_claiming_at_once_never_share_a_row(db):
    seqs = await put(db, *[("signal", f"lane{n}") for n in range(60)])
    first, second = await asyncio.gather(claim(db, "a", 40), claim(db, "b", 40))
    assert not set(first) & set(second)
    assert sorted(first + second) == seqs


async def test_a_failed_row_waits_and_its_lane_waits_behind_it(db):
    first, second, other = await put(db, ("start", "A"), ("signal", "A"), ("start", "B"))
    assert await claim(db) == [first, other]
    async with db.session() as session:
        await outbox.retry(session, first, error="Temporal unreachable: refused", delay=LEASE)
        await outbox.done(session, [other])
        await session.commit()
    assert await claim(db) == []  # not before its time, and A's second stays behind it
    async with db.reading() as session:
        pending = await outbox.pending(session)
    assert (pending.count, pending.by_kind) == (2, {"start": 1, "signal": 1})
    assert pending.last_error == "Temporal unreachable: refused"
    failing_since = pending.failing_since
    assert failing_since is not None and pending.age() >= 0
    async with db.session() as session:  # failing again: since when is kept
        await outbox.retry(session, first, error="again", delay=timedelta(0))
        await session.commit()
    async with db.reading() as session:
        pending = await outbox.pending(session)
        row = await session.get(Outbox, first)
    assert (pending.failing_since, pending.last_error) == (failing_since, "again")
    assert (row.attempts, row.lease_until) == (2, None)
    assert await claim(db) == [first]


async def test_a_seq_is_never_used_twice(db):
    (first,) = await put(db, ("start", "A"))
    async with db.session() as session:
        await outbox.done(session, [first])
        await session.commit()
    (second,) = await put(db, ("start", "A"))  # the table empty in between
    assert second > first


async def test_a_commit_that_wrote_rows_wakes_the_dispatchers_and_a_rollback_does_not(db):
    woken: list[str] = []
    remove = outbox.on_commit(lambda: woken.append("woken"))
    try:
        async with db.session() as session:
            outbox.add(session, "start", {}, lane="A")
            await session.rollback()
            await session.commit()
        assert woken == []
        async with db.reading() as session:
            assert (await session.exec(select(Outbox))).all() == []
        await put(db, ("start", "A"))
        assert woken == ["woken"]
    finally:
        remove()
    await put(db, ("start", "B"))
    assert woken == ["woken"]


async def test_a_lane_longer_than_the_column_is_kept_by_its_digest(db):
    """A signed webhook may name any user id (no LINE id is that long): never a 500."""
    long = "U" + "x" * 500
    async with db.session() as session:
        await outbox.add_many(session, [{"kind": "webhook", "payload": {}, "lane": long}])
        outbox.add(session, "webhook", {}, lane=long)
        await session.commit()
    async with db.reading() as session:
        lanes = (await session.exec(select(Outbox.lane))).all()
    assert lanes == [outbox.lane_key(long)] * 2 and len(lanes[0]) <= 200
    assert await claim(db) != []  # the same lane: one at a time
