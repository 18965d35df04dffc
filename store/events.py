"""Web-traffic and commerce events (`POST /events`)."""

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.tables import Event


async def record_event(
    session: AsyncSession,
    *,
    user_id: str,
    name: str,
    properties: dict[str, Any],
    occurred_at: datetime,
) -> Event:
    event = Event(user_id=user_id, name=name, properties=properties, occurred_at=occurred_at)
    session.add(event)
    await session.commit()  # `seq` is known from the insert; no read after the commit
    return event


async def last_seq(session: AsyncSession, *, user_id: str) -> int:
    """The newest event of this friend so far (0: none): what "since now" means for events."""
    statement = select(func.max(Event.seq)).where(Event.user_id == user_id)
    return (await session.exec(statement)).one() or 0
