"""A webhook event's replyToken, for the first message of the enrollment it started: claimed
by one delivery (LINE takes a token once), and that delivery row marked as a reply before LINE
is asked, so that an attempt whose answer is lost is known as such and never pushed again."""

from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlmodel import col, delete, update
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.statuses import DeliveryStatus, DeliveryVia
from store.scenarios import release_delivery
from store.tables import Delivery, Enrollment, WebhookEvent

Unclaimed = Literal["none", "late", "taken"]


async def claim(
    session: AsyncSession, *, delivery: Delivery, now: datetime, within: timedelta
) -> str | Unclaimed:
    """The reply token for this delivery, claimed and the row marked `via: reply` (no
    commit); else why not: `none` (no event with a token started it), `late` (the event is
    older than `within`: LINE may refuse it by now), `taken` (another enrollment's message
    used it)."""
    enrollment = await session.get(Enrollment, delivery.enrollment_id)
    if enrollment is None or enrollment.reply_event is None:
        return "none"
    event = await session.get(WebhookEvent, enrollment.reply_event)
    token = (event.body or {}).get("replyToken") if event is not None else None
    if event is None or not isinstance(token, str) or not token:
        return "none"
    happened = datetime.fromtimestamp(event.timestamp_ms / 1000, UTC)
    received = (
        event.received_at if event.received_at.tzinfo else event.received_at.replace(tzinfo=UTC)
    )
    if now - min(happened, received) > within:
        return "late"
    taken = await session.exec(
        update(WebhookEvent)
        .where(
            col(WebhookEvent.event_id) == event.event_id,
            col(WebhookEvent.reply_claimed_by).is_(None),
        )
        .values(reply_claimed_by=delivery.enrollment_id, reply_claimed_at=now)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return "taken"
    await _set(session, delivery, via=DeliveryVia.REPLY)
    return token


async def claimed_at(session: AsyncSession, *, delivery: Delivery) -> datetime | None:
    """When this delivery's enrollment claimed its event's token (None: it did not)."""
    enrollment = await session.get(Enrollment, delivery.enrollment_id)
    event = await session.get(WebhookEvent, enrollment.reply_event) if enrollment else None
    if event is None or event.reply_claimed_by != delivery.enrollment_id:
        return None
    at = event.reply_claimed_at
    return at if at is None or at.tzinfo else at.replace(tzinfo=UTC)


async def pushed_instead(session: AsyncSession, *, delivery: Delivery) -> None:
    """LINE refused the reply: the row is a push again (no commit)."""
    await _set(session, delivery, via=DeliveryVia.PUSH)


async def lost(session: AsyncSession, *, delivery: Delivery, why: str) -> None:
    """LINE's answer to the reply never came: the row says it may have reached the friend
    (`unconfirmed`), and it is never pushed (no commit)."""
    await _set(session, delivery, status=DeliveryStatus.UNCONFIRMED, error=why)


async def withdraw(session: AsyncSession, *, delivery: Delivery) -> None:
    """Not sent after all (the reply was refused, and the plan's reserve leaves no room for a
    push now): the row goes, and its place under the scenario's cap (no commit)."""
    await session.exec(
        delete(Delivery).where(
            col(Delivery.enrollment_id) == delivery.enrollment_id,
            col(Delivery.step_id) == delivery.step_id,
        )
    )
    await release_delivery(session, scenario_id=delivery.scenario_id)


async def _set(session: AsyncSession, delivery: Delivery, **values: str) -> None:
    await session.exec(
        update(Delivery)
        .where(
            col(Delivery.enrollment_id) == delivery.enrollment_id,
            col(Delivery.step_id) == delivery.step_id,
        )
        .values(**values)
    )
    for name, value in values.items():
        setattr(delivery, name, value)
