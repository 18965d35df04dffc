"""What a LINE webhook event means, evaluated in the dispatcher's transaction: a follow admits
the friend into every scenario whose trigger takes them, an unfollow blocks their running
enrollments, a postback or a message is an event (triggers/messages.py). The commands it leads
to are written in the same transaction, and the webhook event is marked processed there."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from core import logs
from line.profiles import Fetched, ProfileSource, fetch_profile, is_fresh
from scenarios.runs import BlockSignal
from store import enrollments, friends, scenarios, webhooks
from store.db import Database
from store.tables import WebhookEvent
from triggers import record
from triggers.enrol import Enroller, record_admission
from triggers.messages import MessageHandler

log = logging.getLogger("stepline.friendship")
FRESH_ON_FOLLOW = timedelta(minutes=1)
PROFILE_TIMEOUT = 3.0  # seconds: a slow profile API must not hold up enrolments for long
PROFILE_CONCURRENCY = 20


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
        the transaction, with none open; best effort."""
        follows = [e for e in events if e.type == "follow" and e.user_id and e.processed_at is None]
        if self.profiles is None or not follows:
            return {}
        limit = asyncio.Semaphore(PROFILE_CONCURRENCY)

        async def one(event: WebhookEvent) -> tuple[str, Fetched | None]:
            async with limit:
                return event.event_id, await self._fetch_profile(event)

        fetched = await asyncio.gather(*(one(event) for event in follows))
        return {event_id: profile for event_id, profile in fetched if profile is not None}

    async def _fetch_profile(self, event: WebhookEvent) -> Fetched | None:
        """Unless the cached profile is fresh enough or the follow is to be ignored anyway
        (the block or follow that outdates it is recorded already)."""
        assert self.profiles is not None and event.user_id is not None
        async with self.db.reading() as session:
            cached = await friends.get_friend(session, user_id=event.user_id)
        if is_fresh(cached, FRESH_ON_FOLLOW):
            return None
        if cached is not None and event.timestamp_ms < cached.state_at_ms:
            return None  # stale: record_follow will change nothing
        return await fetch_profile(self.profiles, event.user_id)

    async def handle(
        self, session: AsyncSession, event: WebhookEvent, fetched: Fetched | None = None
    ) -> None:
        """The event's part in the store and its commands, in the caller's transaction."""
        if event.processed_at is not None:
            return  # a repeat: its commands were written when it was handled
        at = datetime.fromtimestamp(event.timestamp_ms / 1000, UTC)
        with logs.bound(webhook_event_id=event.event_id, user_id=event.user_id):
            if event.type in MessageHandler.TYPES:
                await self.messages.handle(session, event)
            elif event.user_id is None or event.type not in ("follow", "unfollow"):
                log.info("webhook event %s of type %s: nothing to do", event.event_id, event.type)
            elif event.type == "follow":
                await self.follow(
                    session, event.user_id, event.timestamp_ms, at, fetched, event.event_id
                )
            else:
                await self.unfollow(session, event.user_id, event.timestamp_ms, at)
        await webhooks.mark_processed_many(session, [event.event_id])

    async def follow(
        self,
        session: AsyncSession,
        user_id: str,
        timestamp_ms: int,
        at: datetime,
        fetched: Fetched | None = None,
        reply_event: str | None = None,
    ) -> None:
        """Admit the friend into every scenario whose trigger takes them. A re-add after a
        block is a new epoch, so it starts new enrollments from the first step. `reply_event`:
        the follow's webhook event, whose replyToken may carry a first message."""
        if await webhooks.blocked_later(session, user_id=user_id, timestamp_ms=timestamp_ms):
            log.info("follow of %s at %s came after a later block: ignored", user_id, at)
            return
        change = await friends.record_follow(
            session, user_id=user_id, timestamp_ms=timestamp_ms, at=at, commit=False
        )
        if not change.applied or not change.friend.following:
            log.info("follow of %s at %s is older than its last state change: ignored", user_id, at)
            return
        friend = change.friend
        if fetched is not None:  # name and language, before any branch asks
            friends.set_profile(session, friend, **fetched.fields())
        for scenario in await scenarios.enrolling_on(session, trigger_type="follow"):
            admission = await self.enroller.admit(
                session, scenario, friend, cause="follow", reply_event=reply_event
            )
            if admission is not None:
                record_admission(session, admission)

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
