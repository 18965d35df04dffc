"""Deliveries: one row per (enrollment, message step), the ledger behind exactly-once sends."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from core.policy import ChannelPolicy
from scenarios.conditions import Condition
from scenarios.definition import Window
from store import pacing
from store.conditions import FriendFacts
from store.enrollments import record_status
from store.scenarios import release_delivery, reserve_delivery
from store.tables import Delivery, Enrollment, Friend, Scenario
from store.types import utcnow
from workflows.types import EnrollmentStatus, SendOutcome, SendRequest

_RETRY_KEYS = uuid.UUID("0c9b7f0e-3f57-4c8e-9d43-5b1f0e8a6d21")


def retry_key(*, enrollment_id: str, step_id: str) -> str:
    """X-Line-Retry-Key: the same for every attempt of one step of one enrollment."""
    return str(uuid.uuid5(_RETRY_KEYS, f"{enrollment_id}/{step_id}"))


async def prepare_send(
    session: AsyncSession,
    *,
    request: SendRequest,
    exit: Sequence[Condition] = (),
    policy: ChannelPolicy | None = None,
    timezone: str = "Asia/Tokyo",
    window: Window | None = None,
    quota_reserved: datetime | None = None,
) -> SendOutcome | Delivery:
    """Decide, in one transaction, whether this push may go out. Returns the outcome when it
    must not (already sent, friend blocked, an exit condition holds, scenario paused or ended,
    the channel's policy says later, cap reached), else the reserved delivery row to push for.
    The friend's row is locked, so two scenarios sending to one friend are counted in turn.
    `quota_reserved` (when to look again) says the plan's share kept for manual broadcasts is
    reached: a new push waits; a retried one (its key may have been accepted) goes on."""
    key = (request.enrollment_id, request.step_id)
    delivery = await session.get(Delivery, key, with_for_update=True)
    if delivery is not None and delivery.status == "sent":
        return SendOutcome(result="sent", request_id=delivery.request_id)
    if delivery is not None and delivery.status == "failed":
        return SendOutcome(result="failed", error=delivery.error)
    friend = await session.get(Friend, request.user_id, with_for_update=True)
    if friend is None or not friend.following or friend.epoch != request.epoch:
        return await _ends_unconfirmed(session, delivery, SendOutcome(result="blocked"))
    if exit and await _exit_holds(session, request, exit):
        return await _ends_unconfirmed(session, delivery, SendOutcome(result="exited"))
    scenario = await session.get(Scenario, request.scenario_id)
    if scenario is None or scenario.status == "ended":
        control_seq = scenario.control_seq if scenario else None
        ended = SendOutcome(result="ended", control_seq=control_seq)
        return await _ends_unconfirmed(session, delivery, ended)
    if scenario.status == "paused":
        return SendOutcome(result="paused", control_seq=scenario.control_seq)
    if delivery is None and quota_reserved is not None:
        await session.commit()
        return SendOutcome(result="deferred", not_before=quota_reserved, hold="quota")
    if delivery is None and policy is not None:  # a retried push was granted already
        later = await pacing.deferral(
            session,
            user_id=request.user_id,
            now=request.planned_at,
            held=request.held,
            policy=policy,
            timezone=timezone,
            window=window,
        )
        if later is not None:
            await session.commit()
            return SendOutcome(result="deferred", not_before=later[0], hold=later[1])
    if delivery is None:
        if not await reserve_delivery(session, scenario_id=request.scenario_id):
            await session.commit()
            return SendOutcome(result="capped")
        delivery = Delivery(
            enrollment_id=request.enrollment_id,
            step_id=request.step_id,
            scenario_id=request.scenario_id,
            user_id=request.user_id,
            retry_key=retry_key(enrollment_id=request.enrollment_id, step_id=request.step_id),
            planned_at=request.planned_at,
        )
        session.add(delivery)
    await record_status(
        session,
        status=EnrollmentStatus(
            enrollment_id=request.enrollment_id,
            scenario_id=request.scenario_id,
            version=request.version,
            user_id=request.user_id,
            status="sending",
            step=request.step_id,
        ),
        at=request.planned_at,
        entered=request.step_id,
    )
    await session.commit()
    return delivery


async def _ends_unconfirmed(
    session: AsyncSession, delivery: Delivery | None, outcome: SendOutcome
) -> SendOutcome:
    """The enrollment ends before a retry of this push: its first attempt may have reached
    LINE (a worker died, or LINE's answer was lost, before it was recorded). It is not pushed
    again after a block, exit or end; the row says `unconfirmed` instead of staying reserved
    (the retry key tells LINE's side, should anyone need to know)."""
    if delivery is not None and delivery.status == "reserved":
        delivery.status = "unconfirmed"
        delivery.error = f"enrollment {outcome.result} before LINE's answer to this push was seen"
        session.add(delivery)
        await session.commit()
    return outcome


async def _exit_holds(
    session: AsyncSession, request: SendRequest, conditions: Sequence[Condition]
) -> bool:
    """The send-time look at `exit`: whatever signal was missed, nothing goes out after it."""
    enrollment = await session.get(Enrollment, request.enrollment_id)
    facts = FriendFacts(
        session,
        request.user_id,
        at=utcnow(),
        enrollment_id=request.enrollment_id,
        events_after=enrollment.event_seq if enrollment else None,
    )
    for condition in conditions:
        if await facts.holds(condition):
            return True
    return False


async def mark_sent(session: AsyncSession, *, delivery: Delivery, request_id: str | None) -> None:
    await mark_sent_many(session, [(delivery, request_id)])
    await session.commit()


async def mark_sent_many(
    session: AsyncSession, sent: Sequence[tuple[Delivery, str | None]]
) -> list[None]:
    """LINE accepted these pushes: one UPDATE each, no commit (the caller's transaction holds
    them all; see store/batches.py)."""
    now = utcnow()
    for delivery, request_id in sent:
        await session.exec(
            update(Delivery)
            .where(
                col(Delivery.enrollment_id) == delivery.enrollment_id,
                col(Delivery.step_id) == delivery.step_id,
            )
            .values(status="sent", request_id=request_id, sent_at=now)
        )
        delivery.status, delivery.request_id, delivery.sent_at = "sent", request_id, now
    return [None] * len(sent)


async def mark_failed(session: AsyncSession, *, delivery: Delivery, error: str) -> None:
    """LINE refused the push for good: record why, and give the cap slot back."""
    delivery.status = "failed"
    delivery.error = error
    session.add(delivery)
    await release_delivery(session, scenario_id=delivery.scenario_id)
    await session.commit()


async def deliveries_of(session: AsyncSession, *, enrollment_id: str) -> list[Delivery]:
    statement = (
        select(Delivery)
        .where(Delivery.enrollment_id == enrollment_id)
        .order_by(col(Delivery.created_at))
    )
    return list(await session.exec(statement))
