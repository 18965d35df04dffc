"""Taking outbox rows to act on (store/outbox.py): leased to one dispatcher at a time, the
oldest of each lane first."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.orm import aliased
from sqlmodel import col, or_, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from store.db import Database
from store.pipeline_tables import Outbox
from store.types import utcnow

# an earlier row of the same lane; made once (a new alias each claim costs its adaptation)
_EARLIER = aliased(Outbox, name="earlier")


async def claim_due(
    db: Database,
    *,
    owner: str,
    limit: int,
    lease: timedelta,
    kinds: Iterable[str] | None = None,
    seqs: Iterable[int] | None = None,
) -> list[Outbox]:
    """`claim` in a transaction of its own. On SQLite the rows are looked for first by a
    reader, which takes no write turn: a dispatcher polling an empty outbox (ten times a
    second, and at every commit that wrote a row) holds up no webhook's answer."""
    if db.dialect == "sqlite":
        async with db.reading() as session:
            seqs = await due(session, limit=limit, kinds=kinds, seqs=seqs)
        if not seqs:
            return []

    async def leasing(store: Database) -> list[Outbox]:
        async with store.session() as session:
            rows = await claim(
                session, owner=owner, limit=limit, lease=lease, kinds=kinds, seqs=seqs
            )
            await session.commit()
        return rows

    return await db.writing(leasing)


async def claim(
    session: AsyncSession,
    *,
    owner: str,
    limit: int,
    lease: timedelta,
    kinds: Iterable[str] | None = None,
    seqs: Iterable[int] | None = None,
    now: datetime | None = None,
) -> list[Outbox]:
    """Lease up to `limit` rows (of these kinds) that may be acted on now, oldest first: due,
    not leased, and the oldest of their lane (no commit)."""
    now = now or utcnow()
    free = or_(col(Outbox.lease_until).is_(None), col(Outbox.lease_until) < now)
    candidates = _candidates(limit=limit, kinds=kinds, seqs=seqs, now=now)
    if session.bind.dialect.name == "postgresql":  # others' claims are skipped, not waited for
        candidates = candidates.with_for_update(skip_locked=True, of=Outbox)
    found = list(await session.exec(candidates))
    if not found:
        return []
    leased = await session.exec(  # type: ignore[call-overload]
        update(Outbox)
        .where(col(Outbox.seq).in_(found), free)
        .values(lease_until=now + lease, owner=owner)
        .returning(Outbox)
        .execution_options(synchronize_session=False)
    )
    return sorted(leased.scalars().all(), key=lambda row: row.seq or 0)


async def due(
    session: AsyncSession,
    *,
    limit: int,
    kinds: Iterable[str] | None = None,
    seqs: Iterable[int] | None = None,
) -> list[int]:
    """The seqs `claim` would lease now, read without leasing (a reader takes no write turn
    on SQLite: a dispatcher polling an empty outbox holds up no webhook)."""
    return list(await session.exec(_candidates(limit=limit, kinds=kinds, seqs=seqs, now=utcnow())))


def _candidates(
    *, limit: int, kinds: Iterable[str] | None, seqs: Iterable[int] | None, now: datetime
):
    free = or_(col(Outbox.lease_until).is_(None), col(Outbox.lease_until) < now)
    behind = (
        select(_EARLIER.seq)
        .where(_EARLIER.lane == Outbox.lane, col(_EARLIER.seq) < col(Outbox.seq))
        .exists()
    )
    candidates = (
        select(Outbox.seq)
        .where(col(Outbox.available_at) <= now, free, or_(col(Outbox.lane).is_(None), ~behind))
        .order_by(col(Outbox.seq))
        .limit(limit)
    )
    if kinds is not None:
        candidates = candidates.where(col(Outbox.kind).in_(list(kinds)))
    if seqs is not None:  # just these (if they may be taken now)
        candidates = candidates.where(col(Outbox.seq).in_(list(seqs)))
    return candidates
