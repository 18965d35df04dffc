"""What the send activities make of LINE's answers and limits: when a 429 or a 5xx is tried
again, whether a coupon can still go, and this process's share of the push rate."""

import random
import time
from datetime import UTC, datetime, timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.steps import MessageStep
from line.client import LineError, LinePusher, LineRejected, RateLimited
from scenarios.runs import SendOutcome


def rate_limit_delay(attempt: int) -> timedelta:
    """Exponential backoff with full jitter, so a burst of 429s does not come back in step."""
    ceiling = min(60.0, 0.5 * 2 ** min(attempt, 10))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def retry_later(exc: LineError) -> ApplicationError:
    """A LINE call that may succeed later, for Temporal to retry: a 429 after
    rate_limit_delay, anything else (a 5xx, a timeout) on the activity's retry policy."""
    if isinstance(exc, RateLimited):
        return ApplicationError(
            exc.message,
            type="RateLimited",
            next_retry_delay=rate_limit_delay(activity.info().attempt),
        )
    return ApplicationError(
        f"LINE {exc.status or 'unreachable'}: {exc.message}", type="LineUnavailable"
    )


def coupon_expired(coupon: dict) -> bool:
    """Past its `endTimestamp` (epoch seconds): LINE says it cannot be used after that."""
    end = coupon.get("endTimestamp")
    return isinstance(end, int) and end <= time.time()


def moment(seconds: int) -> str:
    """Epoch seconds as ISO-8601 UTC (the number itself when no date can hold it)."""
    try:
        return datetime.fromtimestamp(seconds, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return f"{seconds} (epoch seconds)"


def not_pushed(outcome: SendOutcome) -> str:
    """The sends metric's outcome for a push decided against (or done on an earlier try)."""
    return f"already_{outcome.result}" if outcome.result in ("sent", "failed") else outcome.result


class PushBudget:
    """This process's share of the channel's push rate, for pushes made as local activities
    (Temporal's task-queue limit only paces regular activities): a token bucket holding one
    second of pushes. A push that finds it empty goes the regular way instead."""

    def __init__(self, rate: float):
        self.rate, self.tokens, self.at = rate, rate, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


async def unavailable_coupon(line: LinePusher, step: MessageStep) -> str | None:
    """Why a coupon of the step cannot be sent (closed, past its end, unknown to LINE),
    asked of LINE's Coupon API just before the push; None when every coupon can go."""
    for message in step.messages:
        if message.get("type") != "coupon":
            continue
        coupon_id = str(message.get("couponId"))
        try:
            coupon = await line.get_coupon(coupon_id)
        except LineRejected as exc:
            return f"coupon {coupon_id}: LINE {exc.status}: {exc.message}"
        except LineError as exc:
            raise retry_later(exc) from None
        if coupon is None:
            return f"coupon {coupon_id} is unknown to LINE"
        if coupon_expired(coupon):
            return f"coupon {coupon_id} expired at {moment(coupon['endTimestamp'])}"
        if coupon.get("status") == "CLOSED":
            return f"coupon {coupon_id} is closed"
    return None
