"""A multicast: the same messages of one step to several friends in one LINE request. The
batch is recorded — its recipients, its retry key, each delivery row pointing at it — before
LINE is asked, so that any later attempt of any of its deliveries sends that very request again
(the same retry key: LINE answers 409 once it has taken it), never a push of its own.

A batch LINE refuses (a 4xx) is let go: its rows point at no batch any more and each goes as
its own push (with its own retry key)."""

import uuid

from sqlalchemy import bindparam
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.statuses import DeliveryStatus
from store.multicast_table import MulticastBatch
from store.tables import Delivery
from store.types import utcnow

MAX_RECIPIENTS = 500  # LINE's limit for one multicast


async def record(
    session: AsyncSession,
    deliveries: list[Delivery],
    *,
    scenario_id: str,
    version: int,
    step_id: str,
    silent: bool,
) -> MulticastBatch:
    """The batch of these reserved deliveries (no commit); each row points at it."""
    batch = MulticastBatch(
        id=str(uuid.uuid4()),
        scenario_id=scenario_id,
        version=version,
        step_id=step_id,
        user_ids=[delivery.user_id for delivery in deliveries],
        silent=silent,
    )
    session.add(batch)
    await _point(session, deliveries, batch.id)
    return batch


async def get(session: AsyncSession, batch_id: str) -> MulticastBatch | None:
    return await session.get(MulticastBatch, batch_id)


async def sent(session: AsyncSession, batch: MulticastBatch, request_id: str | None) -> None:
    """LINE took the batch: it and every row of it say so (no commit)."""
    at = utcnow()
    await session.exec(
        update(MulticastBatch)
        .where(col(MulticastBatch.id) == batch.id)
        .values(request_id=request_id, sent_at=at)
    )
    await session.exec(
        update(Delivery)
        .where(col(Delivery.batch) == batch.id, col(Delivery.status) == DeliveryStatus.RESERVED)
        .values(status=DeliveryStatus.SENT, request_id=request_id, sent_at=at, silent=batch.silent)
    )


async def let_go(session: AsyncSession, batch_id: str) -> None:
    """LINE refused the batch: its rows are pushes of their own from now on (no commit)."""
    await session.exec(
        update(Delivery)
        .where(col(Delivery.batch) == batch_id, col(Delivery.status) == DeliveryStatus.RESERVED)
        .values(batch=None)
    )


async def rows_of(session: AsyncSession, batch_id: str) -> list[Delivery]:
    return list(await session.exec(select(Delivery).where(col(Delivery.batch) == batch_id)))


async def _point(session: AsyncSession, deliveries: list[Delivery], batch_id: str) -> None:
    """One UPDATE for them all (executemany)."""
    table = Delivery.__table__
    statement = (
        update(table)
        .where(table.c.enrollment_id == bindparam("e"), table.c.step_id == bindparam("s"))
        .values(batch=batch_id)
    )
    await session.exec(
        statement, params=[{"e": d.enrollment_id, "s": d.step_id} for d in deliveries]
    )
    for delivery in deliveries:
        delivery.batch = batch_id
