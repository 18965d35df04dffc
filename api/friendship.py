"""What a follow or an unfollow means for enrollments (SPEC §4); postbacks and messages go on
to api/messages.py."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from activities.profiles import Fetched, ProfileSource, fetch_profile, is_fresh
from api import messages
from store import enrollments, friends, scenarios, webhooks
from store.batches import GroupCommit
from store.db import Database
from store.tables import Scenario, WebhookEvent
from triggers.changes import FriendChanges
from triggers.enrol import Admission, Enroller
from triggers.temporal import block_enrollments
from workflows.types import EnrollmentStatus

log = logging.getLogger("stepline.friendship")
FRESH_ON_FOLLOW = timedelta(minutes=1)
PROFILE_TIMEOUT = 3.0  # seconds: a slow profile API must not hold up enrolments for long


@dataclass(frozen=True)
class _Follow:
    user_id: str
    timestamp_ms: int
    at: datetime
    fetched: Fetched | None  # LINE's profile, fetched before the transaction


class FriendshipHandler:
    def __init__(
        self,
        *,
        db: Database,
        temporal: Client,
        enroller: Enroller,
        profiles: ProfileSource | None = None,
        changes: FriendChanges | None = None,
    ):
        self.db, self.temporal, self.enroller = db, temporal, enroller
        self.profiles = profiles  # LINE's profile API, when this process has a channel token
        self.follows = GroupCommit(db, self._admit_follows, name="follow")
        if changes is None:  # the process's own, when it has one to share
            changes = FriendChanges(
                db=db, temporal=temporal, definitions=enroller.definitions, enroller=enroller
            )
        self.messages = messages.MessageHandler(db=db, changes=changes)

    async def handle(self, event: WebhookEvent) -> None:
        if event.type in messages.TYPES:
            await self.messages.handle(event)
            return
        if event.user_id is None or event.type not in ("follow", "unfollow"):
            log.info("webhook event %s of type %s: nothing to do", event.event_id, event.type)
            return
        at = datetime.fromtimestamp(event.timestamp_ms / 1000, UTC)
        if event.type == "follow":
            await self.follow(event.user_id, event.timestamp_ms, at)
        else:
            await self.unfollow(event.user_id, event.timestamp_ms, at)

    async def follow(self, user_id: str, timestamp_ms: int, at: datetime) -> None:
        """Enrol into every scenario whose trigger admits this friend. A re-add after a block
        is a new epoch, so it starts new enrollments from the first step.

        One write transaction: the follow, the profile (fetched from LINE beforehand, with no
        transaction open) and the enrollment rows, shared with the follows being processed
        at the same moment (store/batches.py); the workflows start once it is committed.
        Should they not (a crash, Temporal down), the event stays unprocessed and is handled
        again: the rows are there already, and a start never starts one twice."""
        fetched = await self._fetch_profile(user_id, timestamp_ms)
        admitted = await self.follows.submit(_Follow(user_id, timestamp_ms, at, fetched))
        for admission in admitted:
            await self.enroller.start(admission)

    async def _admit_follows(
        self, session: AsyncSession, follows: list["_Follow"]
    ) -> list[list[Admission]]:
        """Each follow's part in the store, in order, in the caller's transaction."""
        scenarios_on_follow: list[Scenario] | None = None
        admitted: list[list[Admission]] = []
        for follow in follows:
            user_id, at = follow.user_id, follow.at
            admitted.append([])
            if await webhooks.blocked_later(
                session, user_id=user_id, timestamp_ms=follow.timestamp_ms
            ):
                log.info("follow of %s at %s came after a later block: ignored", user_id, at)
                continue
            change = await friends.record_follow(
                session, user_id=user_id, timestamp_ms=follow.timestamp_ms, at=at, commit=False
            )
            if not change.applied or not change.friend.following:
                log.info(
                    "follow of %s at %s is older than its last state change: ignored", user_id, at
                )
                continue
            friend = change.friend
            if follow.fetched is not None:  # name and language, before any branch asks
                friends.set_profile(session, friend, **follow.fetched.fields())
            if scenarios_on_follow is None:
                scenarios_on_follow = await scenarios.enrolling_on(session, trigger_type="follow")
            for scenario in scenarios_on_follow:
                admission = await self.enroller.admit(session, scenario, friend, cause="follow")
                if admission is not None:
                    admitted[-1].append(admission)
        return admitted

    async def _fetch_profile(self, user_id: str, timestamp_ms: int) -> Fetched | None:
        """LINE's profile of the friend, unless the cached one is fresh enough or the follow
        is to be ignored anyway (the block or follow that outdates it is recorded already).
        Best effort: None when LINE fails."""
        if self.profiles is None:  # no channel token in this process
            return None
        async with self.db.reading() as session:
            cached = await friends.get_friend(session, user_id=user_id)
        if is_fresh(cached, FRESH_ON_FOLLOW):
            return None
        if cached is not None and timestamp_ms < cached.state_at_ms:
            return None  # stale: record_follow will change nothing
        return await fetch_profile(self.profiles, user_id)

    async def unfollow(self, user_id: str, timestamp_ms: int, at: datetime) -> None:
        """Block every running enrollment of the friend. The store already says the friend
        blocked, so no push goes out even before a workflow sees its signal."""
        async with self.db.session() as session:
            change = await friends.record_unfollow(
                session, user_id=user_id, timestamp_ms=timestamp_ms, at=at, commit=False
            )
            live = (
                await enrollments.live_for_friend(session, user_id=user_id)
                if change.applied
                else []
            )
            await session.commit()
        if not change.applied:
            return
        gone = await block_enrollments(self.temporal, [row.id for row in live])
        if gone:  # never started or already over: settle their rows here
            async with self.db.session() as session:
                for row in live:
                    if row.id in gone:
                        await enrollments.record_status(
                            session,
                            status=EnrollmentStatus(
                                enrollment_id=row.id,
                                scenario_id=row.scenario_id,
                                version=row.version,
                                user_id=row.user_id,
                                status="blocked",
                                step=row.current_step,
                            ),
                            at=at,
                        )
                await session.commit()
