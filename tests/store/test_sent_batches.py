"""Pushes LINE accepted at the same moment are marked sent together (activities/sending.py's
GroupCommit over store.deliveries.mark_sent_many), each row exactly as mark_sent writes it."""

import asyncio
from datetime import UTC, datetime

from sqlmodel import col, select

from store import deliveries
from store.batches import GroupCommit
from store.tables import Delivery
from tests.store.test_batches import transactions
from tests.support.stack import user

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


async def _reserved(db, count: int) -> list[Delivery]:
    rows = [
        Delivery(
            enrollment_id=f"sent-batch-{n}",
            step_id="hello",
            scenario_id="sent-batch",
            user_id=user(4000 + n),
            retry_key=deliveries.retry_key(enrollment_id=f"sent-batch-{n}", step_id="hello"),
            planned_at=NOW,
        )
        for n in range(count)
    ]
    async with db.session() as session:
        session.add_all(rows)
        await session.commit()
    return rows


async def test_pushes_accepted_together_are_marked_sent_in_few_transactions(db):
    rows = await _reserved(db, 100)
    writer = GroupCommit(db, deliveries.mark_sent_many, name="mark_sent")
    with transactions(db) as counted:
        await asyncio.gather(*(writer.submit((row, f"req-{row.user_id}")) for row in rows))
    assert counted["commit"] <= 3
    async with db.reading() as session:
        stored = list(
            await session.exec(select(Delivery).where(col(Delivery.scenario_id) == "sent-batch"))
        )
    assert len(stored) == 100
    assert {row.status for row in stored} == {"sent"}
    assert all(row.request_id == f"req-{row.user_id}" and row.sent_at for row in stored)
    assert rows[0].status == "sent"  # the caller's object says so too
