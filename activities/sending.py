"""The message-step activity: one push per step, recorded in the same activity."""

import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.heartbeat import heartbeating
from activities.line_answers import PushBudget, not_pushed, retry_later, unavailable_coupon
from activities.multicast import ALONE, Multicaster, batchable
from activities.progress import decide_branches
from activities.replying import Replied, Replier
from activities.survey import as_message_step, with_options
from core import metrics
from core.links import rewrite_links, tracked_urls
from core.personalize import fill, fill_url, friend_values, placeholders
from domain.steps import MessageStep, SurveyStep
from line.client import (
    LineError,
    LinePusher,
    LineQuota,
    LineRejected,
    LineUnavailable,
    MonthlyLimit,
    RateLimited,
)
from line.profiles import refresh_profile
from scenarios.policy import ChannelPolicy
from scenarios.runs import BranchChoice, BranchRequest, SendOutcome, SendRequest
from store import deliveries, links, pacing, replies, send_gate, surveys
from store.batches import GroupCommit
from store.db import Database
from store.definitions import Definitions
from store.enrollment_progress import record_statuses
from store.policy import get_policy
from store.tables import Delivery
from triggers import record
from triggers.kinds import Expedite
from workflows import contract
from workflows.calls import QUOTA_RECHECK

POLICY_TTL = 5.0  # seconds a worker keeps the channel's policy before reading it again
QUOTA_FRESH = timedelta(minutes=1)  # LINE's quota and consumption, re-read this often


async def _mark_sent(
    session: AsyncSession, sent: Sequence[tuple[Delivery, str | None]]
) -> list[list[int]]:
    """LINE accepted these pushes: their rows say so, and (in the same transaction) the
    `delivered` audiences that may now hold these friends are to be looked at
    (triggers/record.py); for each push, the outbox rows that asks for."""
    await deliveries.mark_sent_many(session, sent)
    rows = await record.delivered(session, [delivery.user_id for delivery, _ in sent])
    if not rows:
        return [[] for _ in sent]
    await session.flush()  # their seqs
    return [[rows[delivery.user_id].seq or 0] for delivery, _ in sent]


class SendActivities(contract.Sending):
    def __init__(
        self,
        db: Database,
        line: LinePusher,
        definitions: Definitions,
        *,
        public_url: str,
        push_rate: float = 2000.0,
        expedite: Expedite | None = None,
        multicast: bool = True,
    ):
        self.db, self.line, self.definitions = db, line, definitions
        self.public_url = public_url.rstrip("/")
        self.expedite = expedite  # the dispatcher's: act on the changes a send made, now
        self.budget = PushBudget(push_rate)
        self.replier = Replier(db, line)
        self.multicaster = Multicaster(db, line, enabled=multicast, expedite=expedite)
        # pushes decided at the same moment (enrollments waking together) are decided in one
        # transaction, and those LINE accepted at the same moment are marked sent in one
        self.preparing = GroupCommit(db, deliveries.prepare_sends, name="prepare_send")
        self.sent = GroupCommit(db, _mark_sent, name="mark_sent")
        self.finishing = GroupCommit(db, record_statuses, name="finish")
        self.branches = GroupCommit(db, decide_branches, name="branch_and_send")
        self._policy: tuple[float, ChannelPolicy] | None = None
        self._quota: tuple[datetime, LineQuota, int] | None = None  # read at, quota, sent since

    @activity.defn
    async def send_message_step(self, request: SendRequest) -> SendOutcome:
        if activity.info().is_local and not self.budget.take():
            # the workflow hands it to the regular activity, paced by the task queue's limit
            raise ApplicationError(
                "this worker's share of the push rate is used up", type="PushRate"
            )
        async with heartbeating():  # a worker killed mid-push is noticed within SEND_HEARTBEAT
            outcome = await self.send(request)
        if outcome.result == "sent" and request.finish is not None:
            # its last step: the enrollment's end recorded here, not by one more local activity
            await self.finishing.submit(request.finish)
            outcome.finished = True
        return outcome

    @activity.defn
    async def branch_and_send(self, request: BranchRequest) -> BranchChoice:
        choice = await self.branches.submit(request)
        way = len(request.conditions) if choice.index is None else choice.index
        send = request.sends[way] if way < len(request.sends) else None
        if send is None:
            return choice
        try:  # as the local push would be; its failure is the workflow's to take on
            choice.sent = await self.send_message_step(send)
        except ApplicationError as err:
            choice.send_failed = err.type or "ApplicationError"
        except Exception as err:  # LINE unreachable, the store busy…: pushed again, same key
            activity.logger.warning("%s: pushed after its branch failed: %r", send.step_id, err)
            choice.send_failed = type(err).__name__
        return choice

    async def send(self, request: SendRequest) -> SendOutcome:
        definition = await self.definitions.get(request.scenario_id, request.version)
        found = definition.step(request.step_id)
        step = as_message_step(found)  # a survey step: its question
        if step is None:
            raise LookupError(
                f"scenario {request.scenario_id} v{request.version} has no message or survey "
                f"step {request.step_id!r}"
            )
        policy = None if request.test else await self.policy()  # a test: never held nor counted
        prepared = await self.preparing.submit(
            send_gate.SendCheck(
                request=request,
                exit=definition.exit or (),
                policy=policy,
                timezone=definition.timezone,
                window=step.window,
                # a reply is not counted: the plan's reserve is looked at if it is pushed
                quota_reserved=None
                if request.reply
                else await self.quota_reserved(policy, request.planned_at),
            )
        )
        if not isinstance(prepared, Delivery):
            metrics.SENDS.labels(outcome=not_pushed(prepared)).inc()
            return prepared
        if unavailable := await unavailable_coupon(self.line, step):
            metrics.SENDS.labels(outcome="skipped").inc()
            activity.logger.warning("%s not sent: %s", request.step_id, unavailable)
            async with self.db.session() as session:
                await deliveries.mark_skipped(session, delivery=prepared, reason=unavailable)
            return SendOutcome(result="skipped", error=unavailable)
        messages = await self.compose(step, request)
        if isinstance(found, SurveyStep):
            messages = await self.ask(found, request, messages)
        silent = step.silent or pacing.silenced(policy, request.planned_at, definition.timezone)
        prepared.silent = silent  # recorded with the row's `sent`
        if request.reply and not request.held:
            replied = await self.replier.reply(prepared, messages, silent)
            if replied is not None:
                return await self.replied(prepared, replied)
            if (later := await self.quota_reserved(policy, request.planned_at)) is not None:
                async with self.db.session() as session:  # pushed, it would eat the reserve
                    await replies.withdraw(session, delivery=prepared)
                    await session.commit()
                return SendOutcome(result="deferred", not_before=later, hold="quota")
        try:
            request_id = await self.deliver(request, prepared, batchable(found, request), messages)
        except LineRejected as exc:
            metrics.SENDS.labels(outcome="failed").inc()
            async with self.db.session() as session:
                await deliveries.mark_failed(session, delivery=prepared, error=exc.message)
            return SendOutcome(result="failed", error=f"LINE {exc.status}: {exc.message}")
        except MonthlyLimit as exc:
            metrics.SENDS.labels(outcome="monthly_limit").inc()
            raise ApplicationError(exc.message, type="MonthlyLimit", non_retryable=True) from None
        except RateLimited as exc:
            metrics.SENDS.labels(outcome="rate_limited").inc()
            raise retry_later(exc) from None
        except LineUnavailable as exc:
            metrics.SENDS.labels(outcome="unavailable").inc()
            raise retry_later(exc) from None
        if prepared.batch not in (None, prepared.retry_key):  # marked sent with its batch
            metrics.SENDS.labels(outcome="sent").inc()
            return SendOutcome(result="sent", request_id=request_id)
        return await self.accepted(prepared, request_id)

    async def deliver(
        self, request: SendRequest, prepared: Delivery, batchable: bool, messages: list[dict]
    ) -> str | None:
        """In a multicast with the others due with it (or the one it is in already), else
        pushed on its own; LINE's request id."""
        lone = prepared.batch == prepared.retry_key  # an earlier attempt pushed it alone
        if not lone and (prepared.batch is not None or (batchable and self.multicaster.enabled)):
            key = (request.scenario_id, request.version, request.step_id, prepared.silent)
            answer = await self.multicaster.send(key, prepared, messages)
            if answer is not ALONE:
                return answer  # type: ignore[return-value]
            prepared.batch = None
            await self.multicaster.alone(prepared)  # in no batch, whatever else runs
        return await self.line.push(
            to=request.user_id,
            messages=messages,
            retry_key=prepared.retry_key,
            silent=prepared.silent,
        )

    async def replied(self, prepared: Delivery, replied: Replied) -> SendOutcome:
        """The first message went as a reply (or may have: its answer was lost, and it is
        never pushed). Sent, as a push LINE accepted would be."""
        if replied.lost is not None:
            metrics.SENDS.labels(outcome="reply_lost").inc()
            return SendOutcome(result="sent", via="reply", error=replied.lost)
        return await self.accepted(prepared, replied.request_id, via="reply")

    async def accepted(
        self, prepared: Delivery, request_id: str | None, via: Literal["push", "reply"] = "push"
    ) -> SendOutcome:
        """LINE accepted it: the row says sent (with the others accepted at this moment)."""
        changes = await self.sent.submit((prepared, request_id))
        metrics.SENDS.labels(outcome="sent" if via == "push" else "replied").inc()
        if changes and self.expedite is not None:  # a `delivered` audience's trigger: now
            await self.expedite(changes)
        return SendOutcome(result="sent", request_id=request_id, via=via)

    async def ask(self, step: SurveyStep, request: SendRequest, messages: list[dict]) -> list:
        """The question with its options' postbacks, under the token of this enrollment's
        question (made on the first try, the same on a retry)."""
        async with self.db.session() as session:
            token = await surveys.token_for(
                session,
                enrollment_id=request.enrollment_id,
                scenario_id=request.scenario_id,
                step_id=step.id,
                user_id=request.user_id,
                attribute=step.attribute,
                options=[o.model_dump(mode="json") for o in step.options] if step.options else None,
            )
            await session.commit()
        return with_options(messages, step, token)

    async def policy(self) -> ChannelPolicy:
        """The channel's policy, read at most every few seconds."""
        clock = time.monotonic()
        if self._policy is None or clock - self._policy[0] > POLICY_TTL:
            async with self.db.reading() as session:
                self._policy = (clock, await get_policy(session))
        return self._policy[1]

    async def quota_reserved(self, policy: ChannelPolicy | None, now: datetime) -> datetime | None:
        """When the plan's reserve for manual broadcasts is reached: the moment to look again
        (LINE's quota and consumption, read at most once a minute of workflow time)."""
        if policy is None or not policy.quota_reserve_percent:
            return None
        if self._quota is None or now - self._quota[0] > QUOTA_FRESH or now < self._quota[0]:
            try:
                self._quota = (now, await self.line.get_quota(), 0)
            except LineError as exc:  # unknown: keep sending; LINE's own 429 still holds
                activity.logger.warning("LINE quota not read: %s", exc.message)
                return None
        read_at, quota, sent_since = self._quota
        if quota.type != "limited" or quota.limit is None:
            return None
        allowed = quota.limit * (100 - policy.quota_reserve_percent) // 100
        if quota.used + sent_since < allowed:
            self._quota = (read_at, quota, sent_since + 1)
            return None
        return now + QUOTA_RECHECK

    async def compose(self, step: MessageStep, request: SendRequest) -> list[dict]:
        """The step's messages for this friend: https links written in the scenario tracked,
        then placeholders filled (a friend's value is never a link: core/personalize.py).
        The same on a retry (profile cached, link tokens stored), so a retried push is the
        push LINE may already have accepted."""
        messages = step.messages
        values: dict[str, object] = {}
        if placeholders(messages):
            friend = await refresh_profile(self.db, self.line, request.user_id)
            values = friend_values(
                friend.display_name if friend else None, friend.attributes if friend else {}
            )
        urls = tracked_urls(messages) if step.track_links else []
        if urls:
            targets = {url: fill_url(url, values, step.defaults) for url in urls}
            async with self.db.session() as session:
                tokens = await links.links_for(
                    session,
                    enrollment_id=request.enrollment_id,
                    scenario_id=request.scenario_id,
                    step_id=request.step_id,
                    user_id=request.user_id,
                    urls=list(dict.fromkeys(targets.values())),
                )
            messages = rewrite_links(
                messages,
                {url: f"{self.public_url}/r/{tokens[target]}" for url, target in targets.items()},
            )
        return fill(messages, values, step.defaults) if values else messages
