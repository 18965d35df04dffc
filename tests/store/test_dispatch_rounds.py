"""The dispatcher's rounds asleep while there is nothing to do: one look at the outbox a tick
for all of them (not a read a round), and a row no commit of this process announced — its
retry fell due, another process wrote it — taken at the next look."""

import asyncio
import time
from datetime import timedelta

from sqlalchemy import event

from store import outbox, outbox_claims
from store.types import utcnow
from triggers.rounds import Rounds

LEASE = timedelta(seconds=60)
TICK = 0.05


async def test_idle_rounds_share_one_look_a_tick_and_a_row_falling_due_wakes_them(db):
    taken: list[tuple[int, float]] = []

    async def round_() -> int:
        rows = await outbox_claims.claim_due(db, owner="test", limit=10, lease=LEASE)
        if rows:
            taken.extend((row.seq or 0, time.monotonic()) for row in rows)
            async with db.session() as session:
                await outbox.done(session, [row.seq or 0 for row in rows])
                await session.commit()
        return len(rows)

    reads: list[float] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM outbox" in statement:
            reads.append(time.monotonic())

    for engine in db.sync_engines():
        event.listen(engine, "before_cursor_execute", count)
    rounds = Rounds(db, poll_every=TICK)
    rounds.start([(f"round {n}", round_) for n in range(6)])
    try:
        await asyncio.sleep(0.3)  # each round looked once at start and found nothing
        reads.clear()
        await asyncio.sleep(1.0)
        # one look a tick: six rounds polling each would have read 120 times
        assert len(reads) <= 1.0 / TICK + 2, len(reads)

        # a row whose retry falls due in half a second: its commit wakes the rounds now, when
        # it may not be taken; nothing announces the moment it may
        async with db.session() as session:
            row = outbox.add(session, "friends_changed", {"user_ids": []})
            row.available_at = utcnow() + timedelta(seconds=0.5)
            await session.commit()
        due_at = time.monotonic() + 0.5
        while not taken and time.monotonic() < due_at + 3:
            await asyncio.sleep(0.01)
        assert [seq for seq, _ in taken] == [row.seq]
        assert taken[0][1] - due_at < 0.5  # within a look or two of falling due
    finally:
        await rounds.stop(timeout=2)
        for engine in db.sync_engines():
            event.remove(engine, "before_cursor_execute", count)
    assert not rounds.running
