"""A bulk step holds its outbox row as long as it runs (triggers/leases.py): the lease is
extended while the step works, so it may be short — a dispatcher that died (SIGKILL, a node
lost) lets the row go one short lease later, for another dispatcher to go on with."""

import asyncio
from datetime import timedelta

from store import outbox, outbox_claims
from tests.store.test_outbox import claim, put
from triggers import leases
from triggers.leases import holding

SHORT = timedelta(seconds=1)


async def claim_for(db, owner: str, lease: timedelta) -> list[int]:
    async with db.session() as session:
        rows = await outbox_claims.claim(session, owner=owner, limit=10, lease=lease)
        await session.commit()
    return [row.seq for row in rows]


async def test_a_row_is_held_while_the_work_runs_and_let_go_after(db, monkeypatch):
    monkeypatch.setattr(leases, "RENEW_EVERY", 0.2)
    (seq,) = await put(db, ("operation", None))
    assert await claim_for(db, "a", SHORT) == [seq]
    async with holding(db, seq, owner="a", lease=SHORT):
        await asyncio.sleep(2.5)  # over twice the lease: renewed, still a's
        assert await claim(db, owner="b") == []
    await asyncio.sleep(1.2)  # no longer renewed: the lease lapses
    assert await claim(db, owner="b") == [seq]


async def test_a_dead_holders_row_goes_to_another_one_lease_later(db):
    (seq,) = await put(db, ("operation", None))
    assert await claim_for(db, "dead", SHORT) == [seq]  # and never renewed
    assert await claim(db, owner="b") == []
    await asyncio.sleep(1.2)
    assert await claim(db, owner="b") == [seq]


async def test_only_the_holder_extends_a_lease(db):
    (seq,) = await put(db, ("operation", None))
    assert await claim_for(db, "a", SHORT) == [seq]
    async with db.session() as session:
        assert not await outbox.extend(session, seq, owner="b", lease=timedelta(hours=1))
        assert await outbox.extend(session, seq, owner="a", lease=SHORT)
        await session.commit()
    await asyncio.sleep(1.2)
    assert await claim(db, owner="b") == [seq]
