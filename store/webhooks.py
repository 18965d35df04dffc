"""LINE webhook events, recorded before the webhook is answered (the durable hand-off) and
marked once handled; `webhookEventId` is the key that makes redeliveries harmless."""

from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.tables import WebhookEvent
from store.types import utcnow
from store.upsert import insert_ignore

# how long a fresh event is left to the in-process queue before a sweep takes it
SETTLE_TIME = timedelta(seconds=10)


async def record_events(session: AsyncSession, *, rows: list[dict]) -> list[str]:
    """Insert the events not seen before; returns the ids that are new, in order."""
    fresh = set(await insert_ignore(session, WebhookEvent, rows, returning=WebhookEvent.event_id))
    await session.commit()
    return [row["event_id"] for row in rows if row["event_id"] in fresh]


async def get_event(session: AsyncSession, *, event_id: str) -> WebhookEvent | None:
    return await session.get(WebhookEvent, event_id)


async def pending_events(
    session: AsyncSession, *, received_before: datetime, limit: int = 500
) -> list[WebhookEvent]:
    statement = (
        select(WebhookEvent)
        .where(col(WebhookEvent.processed_at).is_(None), WebhookEvent.received_at < received_before)
        .order_by(col(WebhookEvent.timestamp_ms), col(WebhookEvent.received_at))
        .limit(limit)
    )
    return list(await session.exec(statement))


async def blocked_later(session: AsyncSession, *, user_id: str, timestamp_ms: int) -> bool:
    """Whether an unfollow of this user newer than `timestamp_ms` has been received (processed
    or not): a follow older than that block is over already, whatever order they arrive in."""
    statement = select(WebhookEvent.event_id).where(
        WebhookEvent.user_id == user_id,
        WebhookEvent.type == "unfollow",
        WebhookEvent.timestamp_ms > timestamp_ms,
    )
    return (await session.exec(statement.limit(1))).first() is not None


async def mark_processed(session: AsyncSession, *, event_id: str) -> None:
    event = await session.get(WebhookEvent, event_id)
    if event is not None:
        event.processed_at = utcnow()
        event.attempts += 1
        event.last_error = None
        session.add(event)
        await session.commit()


async def mark_attempt_failed(session: AsyncSession, *, event_id: str, error: str) -> None:
    event = await session.get(WebhookEvent, event_id)
    if event is not None:
        event.attempts += 1
        event.last_error = error[:1000]
        session.add(event)
        await session.commit()
