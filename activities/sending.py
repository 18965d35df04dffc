"""The message-step activity: one push per step, recorded in the same activity."""

import random
import time
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
from activities.profiles import refresh_profile
from core.links import rewrite_links, tracked_urls
from core.personalize import fill, placeholders
from core.policy import ChannelPolicy
from scenarios.definition import MessageStep
from store import deliveries, links
from store.db import Database
from store.definitions import Definitions
from store.policy import get_policy
from store.tables import Delivery
from triggers.changes import FriendChanges
from workflows.types import SendOutcome, SendRequest

POLICY_TTL = 5.0  # seconds a worker keeps the channel's policy before reading it again


def rate_limit_delay(attempt: int) -> timedelta:
    """Exponential backoff with full jitter, so a burst of 429s does not come back in step."""
    ceiling = min(60.0, 0.5 * 2 ** min(attempt, 10))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


class SendActivities:
    def __init__(
        self,
        db: Database,
        line: LinePusher,
        definitions: Definitions,
        *,
        public_url: str,
        changes: FriendChanges | None = None,
    ):
        self.db, self.line, self.definitions = db, line, definitions
        self.public_url, self.changes = public_url.rstrip("/"), changes
        self._policy: tuple[float, ChannelPolicy] | None = None

    @activity.defn(name="send_message_step")
    async def send_message_step(self, request: SendRequest) -> SendOutcome:
        definition = await self.definitions.get(request.scenario_id, request.version)
        step = await self.definitions.message_step(
            request.scenario_id, request.version, request.step_id
        )
        policy = await self.policy()
        async with self.db.session() as session:
            prepared = await deliveries.prepare_send(
                session,
                request=request,
                exit=definition.exit or (),
                policy=policy,
                timezone=definition.timezone,
                window=step.window,
            )
        if not isinstance(prepared, Delivery):
            return prepared
        messages = await self.compose(step, request)
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
        if self.changes is not None:  # `delivered` audiences may trigger scenarios
            await self.changes.delivered(request.user_id)
        return SendOutcome(result="sent", request_id=request_id)

    async def policy(self) -> ChannelPolicy:
        """The channel's policy, read at most every few seconds."""
        clock = time.monotonic()
        if self._policy is None or clock - self._policy[0] > POLICY_TTL:
            async with self.db.session() as session:
                self._policy = (clock, await get_policy(session))
        return self._policy[1]

    async def compose(self, step: MessageStep, request: SendRequest) -> list[dict]:
        """The step's messages for this friend: placeholders filled, https links tracked.
        The same on a retry (profile cached, link tokens stored), so a retried push is the
        push LINE may already have accepted."""
        messages = step.messages
        if placeholders(messages):
            friend = await refresh_profile(self.db, self.line, request.user_id)
            values: dict[str, object] = {
                f"attribute:{name}": value
                for name, value in (friend.attributes if friend else {}).items()
            }
            values["displayName"] = friend.display_name if friend else None
            messages = fill(messages, values, step.defaults)
        urls = tracked_urls(messages) if step.track_links else []
        if urls:
            async with self.db.session() as session:
                tokens = await links.links_for(
                    session,
                    enrollment_id=request.enrollment_id,
                    scenario_id=request.scenario_id,
                    step_id=request.step_id,
                    user_id=request.user_id,
                    urls=urls,
                )
            messages = rewrite_links(
                messages, {url: f"{self.public_url}/r/{token}" for url, token in tokens.items()}
            )
        return messages
