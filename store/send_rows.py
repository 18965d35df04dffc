"""The rows a batch of pushes is decided on, read and locked in one order: deliveries, friends."""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from scenarios.runs import SendRequest
from store.enrollment_progress import CHUNK
from store.tables import Delivery, Friend


async def locked_deliveries(
    session: AsyncSession, requests: list[SendRequest]
) -> dict[tuple[str, str], Delivery]:
    """The rows of these pushes already there (a retried attempt), locked."""
    wanted = {(request.enrollment_id, request.step_id) for request in requests}
    ids = sorted({enrollment for enrollment, _ in wanted})
    found: dict[tuple[str, str], Delivery] = {}
    for start in range(0, len(ids), CHUNK):
        statement = (
            select(Delivery)
            .where(col(Delivery.enrollment_id).in_(ids[start : start + CHUNK]))
            .order_by(col(Delivery.enrollment_id), col(Delivery.step_id))
            .with_for_update()
        )
        for row in await session.exec(statement):
            if (row.enrollment_id, row.step_id) in wanted:
                found[(row.enrollment_id, row.step_id)] = row
    return found


async def locked_friends(session: AsyncSession, user_ids: list[str]) -> dict[str, tuple[bool, int]]:
    """Whether each friend follows, and their epoch; the rows locked in id order."""
    found: dict[str, tuple[bool, int]] = {}
    for start in range(0, len(user_ids), CHUNK):
        statement = (
            select(Friend.user_id, Friend.following, Friend.epoch)
            .where(col(Friend.user_id).in_(user_ids[start : start + CHUNK]))
            .order_by(col(Friend.user_id))
            .with_for_update()
        )
        found.update(
            (user, (following, epoch)) for user, following, epoch in await session.exec(statement)
        )
    return found
