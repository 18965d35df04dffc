"""A scenario's first message as LINE's reply to the webhook event that started the
enrollment (a follow, a keyword message, a postback): free, not counted in the plan.

Tried once, only while the token is fresh. Whatever LINE answers, the friend never gets the
message twice: the delivery row is marked as a reply before LINE is asked; a reply LINE
refuses (an expired or used token, a 429) goes as the usual push with its retry key; a reply
whose answer is lost (a timeout, a 5xx, a worker gone mid-call: found by a later attempt once
the first would have had its answer) is recorded `unconfirmed` and never pushed."""

from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from core import metrics
from domain.statuses import DeliveryVia
from line.client import LineError, LinePusher, LineUnavailable
from store import replies
from store.db import Database
from store.tables import Delivery
from store.types import utcnow

# LINE: a reply token is to be used within a minute of the webhook. Half of it, as a margin:
# the event waited in the outbox, and tokens have been seen refused sooner than a minute.
REPLY_WITHIN = timedelta(seconds=30)
LOST = "LINE's answer to the reply was lost ({}): it may have reached the friend; not pushed"


@dataclass(frozen=True)
class Replied:
    """The reply went (`request_id`: LINE's), or its answer was lost (`lost`: why)."""

    request_id: str | None = None
    lost: str | None = None


class Replier:
    def __init__(self, db: Database, line: LinePusher):
        self.db, self.line = db, line
        # how long an attempt that asked LINE may still be waiting for its answer
        self.in_flight = timedelta(seconds=getattr(line, "timeout", 20.0) + 10)

    async def reply(self, delivery: Delivery, messages: list[dict], silent: bool) -> Replied | None:
        """The reply's fate; None: push it instead (no fresh token of its own, or LINE
        refused it)."""
        if delivery.via == DeliveryVia.REPLY:  # an earlier attempt asked LINE; no answer kept
            await self._not_under_way(delivery)
            return await self._lost(delivery, "the attempt before this one ended unanswered")
        async with self.db.session() as session:
            token = await replies.claim(
                session, delivery=delivery, now=utcnow(), within=REPLY_WITHIN
            )
            await session.commit()
        if token == "late":
            metrics.REPLIES.labels(outcome="late").inc()
        if token in ("none", "late", "taken"):
            return None
        try:
            request_id = await self.line.reply(token=token, messages=messages, silent=silent)
        except LineUnavailable as exc:  # a timeout, a 5xx: it may have gone
            return await self._lost(delivery, f"LINE {exc.status or 'unreachable'}: {exc.message}")
        except LineError as exc:  # a 400 (the token expired or was used), a 429: not sent
            metrics.REPLIES.labels(outcome="refused").inc()
            activity.logger.info("reply refused (%s): pushing instead", exc.message)
            async with self.db.session() as session:
                await replies.pushed_instead(session, delivery=delivery)
                await session.commit()
            return None
        metrics.REPLIES.labels(outcome="sent").inc()
        return Replied(request_id=request_id)

    async def _not_under_way(self, delivery: Delivery) -> None:
        """An attempt that asked LINE may still be waiting for its answer (the same activity
        run again while the first still runs: a local activity's workflow task retried):
        try again once it would have had its answer, rather than call it lost."""
        async with self.db.reading() as session:
            claimed = await replies.claimed_at(session, delivery=delivery)
        under_way = self.in_flight - (utcnow() - claimed) if claimed else timedelta(0)
        if under_way > timedelta(0):
            raise ApplicationError(
                "a reply for this step may still be waiting for LINE's answer",
                type="ReplyUnderWay",
                next_retry_delay=under_way,
            )

    async def _lost(self, delivery: Delivery, why: str) -> Replied:
        metrics.REPLIES.labels(outcome="lost").inc()
        activity.logger.warning("%s: %s", delivery.step_id, LOST.format(why))
        async with self.db.session() as session:
            await replies.lost(session, delivery=delivery, why=LOST.format(why))
            await session.commit()
        return Replied(lost=LOST.format(why))
