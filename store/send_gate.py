"""Whether a push must not go out now, and why: sent, blocked, exited, ended, paused, held back."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from domain.conditions import Condition
from domain.ids import is_test
from domain.statuses import DeliveryStatus
from domain.steps import Window
from scenarios.policy import ChannelPolicy
from scenarios.runs import SendOutcome, SendRequest
from store import pacing
from store.conditions import FriendFacts
from store.enrollment_progress import unconfirmed_error
from store.tables import Delivery, Enrollment, Scenario


@dataclass(frozen=True)
class SendCheck:
    """One push to decide: the request, and what the activity read for it (the scenario's
    exit conditions, timezone and the step's window, the channel's policy, the quota)."""

    request: SendRequest
    exit: Sequence[Condition] = ()
    policy: ChannelPolicy | None = None
    timezone: str = "Asia/Tokyo"
    window: Window | None = None
    quota_reserved: datetime | None = None


async def must_not_send(
    session: AsyncSession,
    check: SendCheck,
    delivery: Delivery | None,
    friend: tuple[bool, int] | None,
    scenario: Scenario | None,
) -> SendOutcome | None:
    """Why this push must not go out now (None: it may, once it has a place under the cap)."""
    request = check.request
    if delivery is not None and delivery.status == DeliveryStatus.SENT:
        return SendOutcome(result="sent", request_id=delivery.request_id)
    if delivery is not None and delivery.status == "failed":
        return SendOutcome(result="failed", error=delivery.error)
    if delivery is not None and delivery.status == "skipped":
        return SendOutcome(result="skipped", error=delivery.error)
    if friend is None or not friend[0] or friend[1] != request.epoch:
        return _ends_unconfirmed(session, delivery, SendOutcome(result="blocked"))
    if check.exit and await _exit_holds(session, request, check.exit):
        return _ends_unconfirmed(session, delivery, SendOutcome(result="exited"))
    if is_test(request.enrollment_id):  # a test goes out whatever the scenario's status
        return None
    if scenario is None or scenario.status == "ended":
        control_seq = scenario.control_seq if scenario else None
        ended = SendOutcome(result="ended", control_seq=control_seq)
        return _ends_unconfirmed(session, delivery, ended)
    if scenario.status == "paused":
        return SendOutcome(result="paused", control_seq=scenario.control_seq)
    if delivery is not None:  # a retried push was granted already
        return None
    if check.quota_reserved is not None:
        return SendOutcome(result="deferred", not_before=check.quota_reserved, hold="quota")
    if check.policy is not None:
        later = await pacing.deferral(
            session,
            user_id=request.user_id,
            now=request.planned_at,
            held=request.held,
            policy=check.policy,
            timezone=check.timezone,
            window=check.window,
        )
        if later is not None:
            return SendOutcome(result="deferred", not_before=later[0], hold=later[1])
    return None


def _ends_unconfirmed(
    session: AsyncSession, delivery: Delivery | None, outcome: SendOutcome
) -> SendOutcome:
    """The enrollment ends before a retry of this push: its first attempt may have reached
    LINE (a worker died, or LINE's answer was lost, before it was recorded). It is not pushed
    again after a block, exit or end; the row says `unconfirmed` instead of staying reserved
    (the retry key tells LINE's side, should anyone need to know)."""
    if delivery is not None and delivery.status == DeliveryStatus.RESERVED:
        delivery.status = DeliveryStatus.UNCONFIRMED
        delivery.error = unconfirmed_error(outcome.result)
        session.add(delivery)
    return outcome


async def _exit_holds(
    session: AsyncSession, request: SendRequest, conditions: Sequence[Condition]
) -> bool:
    """The send-time look at `exit`: whatever signal was missed, nothing goes out after it."""
    enrollment = await session.get(Enrollment, request.enrollment_id)
    facts = FriendFacts.since_enrolled(session, request.user_id, request.enrollment_id, enrollment)
    for condition in conditions:
        if await facts.holds(condition):
            return True
    return False
