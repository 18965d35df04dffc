"""The message-step activity: one push per step, recorded in the same activity."""

import random
from datetime import timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.line_client import (
    LinePusher,
    LineRejected,
    LineUnavailable,
    MonthlyLimit,
    RateLimited,
)
from store import deliveries
from store.db import Database
from store.definitions import Definitions
from store.tables import Delivery
from workflows.types import SendOutcome, SendRequest


def rate_limit_delay(attempt: int) -> timedelta:
    """Exponential backoff with full jitter, so a burst of 429s does not come back in step."""
    ceiling = min(60.0, 0.5 * 2 ** min(attempt, 10))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


class SendActivities:
    def __init__(self, db: Database, line: LinePusher, definitions: Definitions):
        self.db, self.line, self.definitions = db, line, definitions

    @activity.defn(name="send_message_step")
    async def send_message_step(self, request: SendRequest) -> SendOutcome:
        messages = await self.definitions.messages(
            request.scenario_id, request.version, request.step_id
        )
        async with self.db.session() as session:
            prepared = await deliveries.prepare_send(session, request=request)
        if not isinstance(prepared, Delivery):
            return prepared
        try:
            request_id = await self.line.push(
                to=request.user_id, messages=messages, retry_key=prepared.retry_key
            )
        except LineRejected as exc:
            async with self.db.session() as session:
                await deliveries.mark_failed(session, delivery=prepared, error=exc.message)
            return SendOutcome(result="failed", error=f"LINE {exc.status}: {exc.message}")
        except MonthlyLimit as exc:
            raise ApplicationError(exc.message, type="MonthlyLimit", non_retryable=True) from None
        except RateLimited as exc:
            raise ApplicationError(
                exc.message,
                type="RateLimited",
                next_retry_delay=rate_limit_delay(activity.info().attempt),
            ) from None
        except LineUnavailable as exc:
            raise ApplicationError(
                f"LINE {exc.status or 'unreachable'}: {exc.message}", type="LineUnavailable"
            ) from None
        async with self.db.session() as session:
            await deliveries.mark_sent(session, delivery=prepared, request_id=request_id)
        return SendOutcome(result="sent", request_id=request_id)
