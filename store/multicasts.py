"""A multicast: the same messages of one step to several friends in one LINE request. The
batch is recorded — its recipients, its retry key, each delivery row pointing at it — before
LINE is asked, so that any later attempt of any of its deliveries sends that very request again
(the same retry key: LINE answers 409 once it has taken it), never a push of its own.

A batch LINE refuses (a 4xx) is let go: its rows point at no batch any more and each goes as
its own push (with its own retry key)."""

import uuid

from sqlalchemy import tuple_
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
    """The batch of those of these deliveries that are in no request yet (no commit): each
    row it takes points at it, and only theirs are its recipients. A row another attempt put
    in a request meanwhile (a batch, or its own push) is left where it is."""
    batch_id = str(uuid.uuid4())
    taken = await claim(session, deliveries, batch_id)
    batch = MulticastBatch(
        id=batch_id,
        scenario_id=scenario_id,
        version=version,
        step_id=step_id,
        user_ids=[d.user_id for d in deliveries if (d.enrollment_id, d.step_id) in taken],
        silent=silent,
    )
    if batch.user_ids:
        session.add(batch)
    return batch


async def claim(
    session: AsyncSession, deliveries: list[Delivery], request: str
) -> set[tuple[str, str]]:
    """Put the reserved rows that are in no request yet in `request` (a batch id, or a lone
    push's own retry key) with one conditional UPDATE; the keys of those it took (no commit).
    Of two attempts of one delivery running at once, one takes it: it is never in two."""
    table = Delivery.__table__
    keys = [(d.enrollment_id, d.step_id) for d in deliveries]
    await session.exec(
        update(table)
        .where(
            tuple_(table.c.enrollment_id, table.c.step_id).in_(keys),
            table.c.batch.is_(None),
            table.c.status == DeliveryStatus.RESERVED,
        )
        .values(batch=request)
    )
    taken = {
        (enrollment_id, step_id)
        for enrollment_id, step_id in await session.exec(
            select(table.c.enrollment_id, table.c.step_id).where(table.c.batch == request)
        )
    }
    for delivery in deliveries:
        if (delivery.enrollment_id, delivery.step_id) in taken:
            delivery.batch = request
    return taken


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
