"""Bulk operations as the store keeps them: made in the transaction that asks for them, moved
on step by step by the dispatcher, read by the API, the dashboard and the CLI."""

from datetime import datetime
from typing import Any

from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from store.ids import new_id
from store.pipeline_tables import Operation, Outbox
from store.types import utcnow

OPEN = ("queued", "running")
CONTROL = ("pause", "resume", "end")  # a newer one of these makes an older one pointless


def new(
    session: AsyncSession,
    *,
    action: str,
    scenario_id: str | None,
    total: int,
    params: dict[str, Any] | None = None,
) -> Operation:
    """An operation in the caller's transaction (no commit)."""
    operation = Operation(
        id=new_id("op"),
        scenario_id=scenario_id,
        action=action,
        total=total,
        params=params or {},
        status="queued" if total else "done",
        finished_at=None if total else utcnow(),
    )
    session.add(operation)
    return operation


async def supersede(session: AsyncSession, *, scenario_id: str, actions: tuple[str, ...]) -> int:
    """Open operations of these actions on the scenario stop where they are (a newer pause,
    resume or end makes them moot): their outbox rows go (no commit). How many stopped."""
    statement = select(Operation.id).where(
        Operation.scenario_id == scenario_id,
        col(Operation.action).in_(actions),
        col(Operation.status).in_(OPEN),
    )
    ids = list(await session.exec(statement))
    if not ids:
        return 0
    now = utcnow()
    await session.exec(
        update(Operation)
        .where(col(Operation.id).in_(ids))
        .values(status="superseded", finished_at=now, updated_at=now)
    )
    await session.exec(delete(Outbox).where(col(Outbox.operation_id).in_(ids)))
    return len(ids)


async def advance(
    session: AsyncSession,
    operation: Operation,
    *,
    done: int,
    cursor: dict[str, Any],
    finished: bool,
    at: datetime | None = None,
) -> None:
    """A step of the operation is done: `done` more reached, the next starts at `cursor`."""
    at = at or utcnow()
    operation.done += done
    operation.cursor = cursor
    operation.status = "done" if finished else "running"
    operation.updated_at = at
    operation.last_error = None
    if finished:
        operation.finished_at = at
        operation.total = max(operation.total, operation.done)
    session.add(operation)


async def count_reached(session: AsyncSession, operation_id: str, reached: int) -> None:
    """`reached` more friends of a bulk change are done; the last of them finishes the
    operation (its total is their number, each counted once). No commit."""
    operation = await session.get(Operation, operation_id, with_for_update=True)
    if operation is None or operation.status not in OPEN:
        return
    finished = operation.done + reached >= operation.total
    await advance(session, operation, done=reached, cursor={}, finished=finished, at=utcnow())


async def failed(session: AsyncSession, operation_id: str, *, error: str) -> None:
    """A step failed and will be tried again: say why (no commit)."""
    await session.exec(
        update(Operation)
        .where(col(Operation.id) == operation_id)
        .values(last_error=error[:1000], updated_at=utcnow())
    )


async def get(session: AsyncSession, operation_id: str) -> Operation | None:
    return await session.get(Operation, operation_id)


async def of_scenario(
    session: AsyncSession, scenario_id: str, *, limit: int = 20
) -> list[Operation]:
    """The scenario's operations, newest first."""
    statement = (
        select(Operation)
        .where(Operation.scenario_id == scenario_id)
        .order_by(col(Operation.created_at).desc(), col(Operation.id))
        .limit(limit)
    )
    return list(await session.exec(statement))


async def running(session: AsyncSession, *, limit: int = 20) -> list[Operation]:
    """Operations not finished yet, oldest first."""
    statement = (
        select(Operation)
        .where(col(Operation.status).in_(OPEN))
        .order_by(col(Operation.created_at), col(Operation.id))
        .limit(limit)
    )
    return list(await session.exec(statement))


async def latest(session: AsyncSession, *, limit: int = 20) -> list[Operation]:
    """The newest operations, any status."""
    statement = (
        select(Operation).order_by(col(Operation.created_at).desc(), col(Operation.id)).limit(limit)
    )
    return list(await session.exec(statement))
