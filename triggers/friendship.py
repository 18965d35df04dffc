"""What a LINE webhook event means, evaluated in the dispatcher's transaction: a follow admits
the friend into every scenario whose trigger takes them, an unfollow blocks their running
enrollments, a postback or a message is an event (triggers/messages.py). The commands it leads
to are written in the same transaction, and the webhook event is marked processed there."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sqlmodel.ext.asyncio.session import AsyncSession

from core import logs
from line.profiles import Fetched, ProfileSource, fetch_profile, is_fresh
from scenarios.runs import BlockSignal
from store import enrollments, friends, scenarios, webhooks
from store.db import Database
from store.tables import Friend, WebhookEvent
from triggers import record
from triggers.enrol import Enroller, record_admission
from triggers.kinds import Cause
from triggers.messages import MessageHandler

log = logging.getLogger("stepline.friendship")
FRESH_ON_FOLLOW = timedelta(minutes=1)
PROFILE_TIMEOUT = 3.0  # seconds: a slow profile API must not hold up enrolments for long
PROFILE_CONCURRENCY = 20


class Follow(NamedTuple):
    user_id: str
    timestamp_ms: int
    at: datetime
    reply_event: str | None
    fetched: Fetched | None


class Friendship:
    def __init__(
        self,
        *,
        db: Database,
        enroller: Enroller,
        messages: MessageHandler,
        profiles: ProfileSource | None = None,
    ):
        self.db, self.enroller, self.messages = db, enroller, messages
        self.profiles = profiles  # LINE's profile API, when this process has a channel token

    async def profiles_for(self, events: list[WebhookEvent]) -> dict[str, Fetched]:
        """LINE's profiles of the friends these follows are of (by event id), fetched before
        the transaction, with none open; best effort. Not asked where the cached profile is
        fresh enough, or the follow is to be ignored anyway (the block or follow that
        outdates it is recorded already)."""
        follows = [e for e in events if e.type == "follow" and e.user_id and e.processed_at is None]
        if self.profiles is None or not follows:
            return {}
        async with self.db.reading() as session:
            cached = await friends.get_friends(session, [e.user_id for e in follows if e.user_id])
        follows = [e for e in follows if _worth_asking(e, cached.get(e.user_id or ""))]
        limit = asyncio.Semaphore(PROFILE_CONCURRENCY)

        async def one(event: WebhookEvent) -> tuple[str, Fetched | None]:
            assert self.profiles is not None and event.user_id is not None
            async with limit:
                return event.event_id, await fetch_profile(self.profiles, event.user_id)

        fetched = await asyncio.gather(*(one(event) for event in follows))
        return {event_id: profile for event_id, profile in fetched if profile is not None}

    async def handle(
        self, session: AsyncSession, event: WebhookEvent, fetched: Fetched | None = None
    ) -> None:
        """The event's part in the store and its commands, in the caller's transaction."""
        if event.processed_at is not None:
            return  # a repeat: its commands were written when it was handled
        if event.type == "follow" and event.user_id is not None:
            await self.follows(session, [event], {event.event_id: fetched} if fetched else {})
            return
        at = datetime.fromtimestamp(event.timestamp_ms / 1000, UTC)
        with logs.bound(webhook_event_id=event.event_id, user_id=event.user_id):
            if event.type in MessageHandler.TYPES:
                await self.messages.handle(session, event)
            elif event.user_id is None or event.type != "unfollow":
                log.info("webhook event %s of type %s: nothing to do", event.event_id, event.type)
            else:
                await self.unfollow(session, event.user_id, event.timestamp_ms, at)
        await webhooks.mark_processed_many(session, [event.event_id])

    async def follows(
        self,
        session: AsyncSession,
        events: list[WebhookEvent],
        fetched: dict[str, Fetched] | None = None,
    ) -> None:
        """Follow events (of friends, not processed yet), in their order, in the caller's
        transaction, each with LINE's profile if `fetched` has it; then marked processed.
        Set-wise: a batch costs a few statements whatever its size, so that admitting keeps
        up with what LINE sends."""
        fetched = fetched or {}
        await self._admit(
            session,
            [
                Follow(e.user_id, e.timestamp_ms, _at(e), e.event_id, fetched.get(e.event_id))
                for e in events
                if e.user_id
            ],
        )
        await webhooks.mark_processed_many(session, [event.event_id for event in events])

    async def follow(
        self,
        session: AsyncSession,
        user_id: str,
        timestamp_ms: int,
        at: datetime,
        fetched: Fetched | None = None,
        reply_event: str | None = None,
    ) -> None:
        """One follow with no webhook event to mark (tests, tools), as `follows` takes it."""
        await self._admit(session, [Follow(user_id, timestamp_ms, at, reply_event, fetched)])

    async def _admit(self, session: AsyncSession, follows: list["Follow"]) -> None:
        """Admit each friend into every scenario whose trigger takes them. A re-add after a
        block is a new epoch, so it starts new enrollments from the first step. A follow older
        than a block received (processed or not), or than the friend's last state change, is
        over already and changes nothing. `reply_event`: the webhook event whose replyToken
        may carry a first message."""
        blocks = await webhooks.last_unfollows(session, [f.user_id for f in follows])
        live: list[Follow] = []
        for follow in follows:
            if follow.timestamp_ms < blocks.get(follow.user_id, -1):
                log.info("follow of %s at %s came after a later block: ignored", *follow[:3:2])
            else:
                live.append(follow)
        changes = await friends.record_follows(
            session, [(f.user_id, f.timestamp_ms, f.at) for f in live]
        )
        admitted: dict[str, tuple[Friend, str | None]] = {}  # a friend following twice: once
        for follow, change in zip(live, changes, strict=True):
            if not change.applied or not change.friend.following:
                log.info(
                    "follow of %s at %s is older than its last state change: ignored",
                    *follow[:3:2],
                )
                continue
            if follow.fetched is not None:  # name and language, before any branch asks
                friends.set_profile(session, change.friend, **follow.fetched.fields())
            admitted.setdefault(follow.user_id, (change.friend, follow.reply_event))
        if not admitted:
            return
        starts: list[tuple[str, Cause, dict]] = []
        for scenario in await scenarios.enrolling_on(session, trigger_type="follow"):
            for admission in await self.enroller.admit_follows(
                session, scenario, list(admitted.values())
            ):
                if admission.resume:
                    record_admission(session, admission)
                else:  # the log lines of the start name the follow it came from
                    user_id = admission.friend.user_id
                    origin = {"user_id": user_id}
                    if (event_id := admitted[user_id][1]) is not None:
                        origin["webhook_event_id"] = event_id
                    starts.append((admission.workflow_id, "follow", origin))
        await record.starts(session, starts)

    async def unfollow(
        self, session: AsyncSession, user_id: str, timestamp_ms: int, at: datetime
    ) -> None:
        """Block every running enrollment of the friend. The store already says the friend
        blocked (since the webhook was answered), so no push goes out even before a
        workflow sees its signal; one that never started, or is over, is settled as
        blocked by the command."""
        change = await webhooks.apply_unfollow(session, user_id=user_id, timestamp_ms=timestamp_ms)
        if not change.applied:
            return
        for row in await enrollments.live_for_friend(session, user_id=user_id):
            record.signal(
                session,
                workflow_id=row.id,
                name="block",
                args=BlockSignal(),
                gone="blocked",
                at=at,
            )


def _at(event: WebhookEvent) -> datetime:
    return datetime.fromtimestamp(event.timestamp_ms / 1000, UTC)


def _worth_asking(event: WebhookEvent, cached: Friend | None) -> bool:
    if is_fresh(cached, FRESH_ON_FOLLOW):
        return False
    return cached is None or event.timestamp_ms >= cached.state_at_ms  # else stale: ignored
