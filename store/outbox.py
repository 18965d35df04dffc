"""The outbox: changes written in the transaction of the change itself, taken by dispatchers
(triggers/dispatch.py) in order per lane, and deleted once acted on.

- `add` puts a row into the caller's transaction; its commit wakes this process's dispatchers
  at once (others poll).
- `claim` leases the rows a dispatcher may take now: due, not leased by another dispatcher,
  and the oldest of their lane (a friend's changes one after the other). Several processes
  may claim at the same time, on SQLite and on PostgreSQL: a row is leased to one of them.
- `done` deletes rows; `retry` leaves a row for later (its lane waits behind it);
  `progress` hands back a bulk operation's row that has more to do."""

import hashlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, event, func, insert, update
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.db import Database
from store.pipeline_tables import Outbox
from store.types import utcnow

_WAKE = "stepline_outbox"
_ADDED = "stepline_outbox_rows"
CHUNK = 500  # ids a statement: within any database's bound-parameter limit
LANE_LENGTH = 200  # Outbox.lane's
_listeners: set[Callable[[], None]] = set()


def add(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    lane: str | None = None,
    operation_id: str | None = None,
) -> Outbox:
    """A row in the caller's transaction (written at its next flush or commit)."""
    row = Outbox(kind=kind, payload=payload, lane=lane_key(lane), operation_id=operation_id)
    session.add(row)
    session.sync_session.info[_WAKE] = True
    session.sync_session.info.setdefault(_ADDED, []).append(row)
    return row


def lane_key(lane: str | None) -> str | None:
    """The lane as the column keeps it: a longer one (no LINE id is) by its digest."""
    if lane is None or len(lane) <= LANE_LENGTH:
        return lane
    return "sha256:" + hashlib.sha256(lane.encode("utf-8", "surrogatepass")).hexdigest()


def added(session: AsyncSession) -> list[int]:
    """The seqs of the rows `add` put into this session's transaction, once it is committed
    (forgotten by this call)."""
    rows = session.sync_session.info.pop(_ADDED, [])
    return [row.seq for row in rows if row.seq is not None]


async def add_many(session: AsyncSession, rows: Iterable[dict[str, Any]]) -> int:
    """Many rows ({kind, payload, lane?, operation_id?}) in one statement, in their order."""
    now = utcnow()
    values = [
        {
            "kind": row["kind"],
            "payload": row["payload"],
            "lane": lane_key(row.get("lane")),
            "operation_id": row.get("operation_id"),
            "created_at": now,
            "since": now,
            "available_at": now,
            "attempts": 0,
        }
        for row in rows
    ]
    for start in range(0, len(values), CHUNK):
        await session.exec(insert(Outbox.__table__), params=values[start : start + CHUNK])
    if values:
        session.sync_session.info[_WAKE] = True
    return len(values)


def on_commit(listener: Callable[[], None]) -> Callable[[], None]:
    """Call `listener` after every commit (in this process) that wrote outbox rows; returns
    what removes it again."""
    _listeners.add(listener)
    return lambda: _listeners.discard(listener)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_WAKE, False):
        for listener in list(_listeners):
            listener()


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_WAKE, None)
    session.info.pop(_ADDED, None)


async def done(session: AsyncSession, seqs: Iterable[int]) -> int:
    """Delete these rows (no commit); how many were still there."""
    seqs = list(seqs)
    gone = 0
    for start in range(0, len(seqs), CHUNK):
        result = await session.exec(
            delete(Outbox).where(col(Outbox.seq).in_(seqs[start : start + CHUNK]))
        )
        gone += result.rowcount
    return gone


async def alone(
    db: Database, change: Callable[[AsyncSession, list[int]], Awaitable[Any]], seqs: Iterable[int]
) -> None:
    """`change` (`done`, `release`) of these rows in a transaction of its own."""
    async with db.session() as session:
        await change(session, list(seqs))
        await session.commit()


async def take(session: AsyncSession, seqs: Iterable[int]) -> list[int]:
    """Delete these rows (no commit) and say which were still there: in the transaction
    that acts on them, the rows a dispatcher whose lease ran out must not act on again."""
    seqs = list(seqs)
    taken: list[int] = []
    for start in range(0, len(seqs), CHUNK):
        result = await session.exec(  # type: ignore[call-overload]
            delete(Outbox)
            .where(col(Outbox.seq).in_(seqs[start : start + CHUNK]))
            .returning(Outbox.seq)
        )
        taken.extend(result.scalars().all())
    return taken


async def release(session: AsyncSession, seqs: Iterable[int]) -> None:
    """Give these rows back untried (no commit)."""
    seqs = list(seqs)
    for start in range(0, len(seqs), CHUNK):
        await session.exec(
            update(Outbox)
            .where(col(Outbox.seq).in_(seqs[start : start + CHUNK]))
            .values(lease_until=None, owner=None)
        )


async def extend(
    session: AsyncSession, seq: int, *, owner: str, lease: timedelta, now: datetime | None = None
) -> bool:
    """Hold a row this dispatcher leased for `lease` more (no commit); False when it is not
    its own any more."""
    extended = await session.exec(
        update(Outbox)
        .where(col(Outbox.seq) == seq, col(Outbox.owner) == owner)
        .values(lease_until=(now or utcnow()) + lease)
    )
    return extended.rowcount == 1


async def release_owned(session: AsyncSession, owner: str) -> None:
    """Give back every row this dispatcher holds (it is stopping; no commit)."""
    await session.exec(
        update(Outbox).where(col(Outbox.owner) == owner).values(lease_until=None, owner=None)
    )


async def retry(
    session: AsyncSession, seq: int, *, error: str, delay: timedelta, now: datetime | None = None
) -> None:
    """The row failed: try again after `delay` (no commit)."""
    now = now or utcnow()
    await session.exec(
        update(Outbox)
        .where(col(Outbox.seq) == seq)
        .values(
            attempts=Outbox.attempts + 1,
            last_error=error[:1000],
            failing_since=func.coalesce(Outbox.failing_since, now),
            available_at=now + delay,
            lease_until=None,
            owner=None,
        )
    )


async def progress(session: AsyncSession, seq: int, *, now: datetime | None = None) -> None:
    """A bulk operation's row did a step and has more: due again at once (no commit)."""
    now = now or utcnow()
    await session.exec(
        update(Outbox)
        .where(col(Outbox.seq) == seq)
        .values(
            since=now,
            available_at=now,
            attempts=0,
            failing_since=None,
            last_error=None,
            lease_until=None,
            owner=None,
        )
    )


@dataclass(frozen=True)
class Pending:
    """What the outbox holds now."""

    count: int
    oldest: datetime | None  # the `since` of the row waiting longest
    by_kind: dict[str, int]
    failing_since: datetime | None  # the first failure of the row failing longest
    last_error: str | None  # that row's last error

    def age(self, now: datetime | None = None) -> float:
        """Seconds the oldest row has waited (0 when none waits)."""
        if self.oldest is None:
            return 0.0
        return max(0.0, ((now or utcnow()) - self.oldest).total_seconds())


async def empty(session: AsyncSession) -> bool:
    """Whether nothing waits (one indexed look)."""
    return (await session.exec(select(Outbox.seq).limit(1))).first() is None


async def pending(session: AsyncSession) -> Pending:
    by_kind = {
        kind: count
        for kind, count in await session.exec(
            select(Outbox.kind, func.count()).group_by(col(Outbox.kind))
        )
    }
    oldest = (await session.exec(select(func.min(Outbox.since)))).one()
    failing = (
        await session.exec(
            select(Outbox.failing_since, Outbox.last_error)
            .where(col(Outbox.failing_since).is_not(None))
            .order_by(col(Outbox.failing_since), col(Outbox.seq))
            .limit(1)
        )
    ).first()
    return Pending(
        count=sum(by_kind.values()),
        oldest=_aware(oldest),
        by_kind=by_kind,
        failing_since=failing[0] if failing else None,
        last_error=failing[1] if failing else None,
    )


def _aware(moment: datetime | None) -> datetime | None:
    """An aggregate comes back as the driver gives it (SQLite: text or naive)."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)
