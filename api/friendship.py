"""What a follow or an unfollow means for enrollments (SPEC §4)."""

import logging
from datetime import UTC, datetime, timedelta

from temporalio.client import Client

from activities.profiles import ProfileSource, refresh_profile
from store import enrollments, friends, scenarios, webhooks
from store.db import Database
from store.tables import WebhookEvent
from triggers.enrol import Enroller
from triggers.temporal import block_enrollments
from workflows.types import EnrollmentStatus

log = logging.getLogger("stepline.friendship")
FRESH_ON_FOLLOW = timedelta(minutes=1)


class FriendshipHandler:
    def __init__(
        self,
        *,
        db: Database,
        temporal: Client,
        enroller: Enroller,
        profiles: ProfileSource | None = None,
    ):
        self.db, self.temporal, self.enroller = db, temporal, enroller
        self.profiles = profiles  # LINE's profile API, when this process has a channel token

    async def handle(self, event: WebhookEvent) -> None:
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
        is a new epoch, so it starts new enrollments from the first step."""
        async with self.db.session() as session:
            if await webhooks.blocked_later(session, user_id=user_id, timestamp_ms=timestamp_ms):
                log.info("follow of %s at %s came after a later block: ignored", user_id, at)
                return
            change = await friends.record_follow(
                session, user_id=user_id, timestamp_ms=timestamp_ms, at=at
            )
            candidates = await scenarios.enrolling_on(session, trigger_type="follow")
        if not change.applied or not change.friend.following:
            log.info("follow of %s at %s is older than its last state change: ignored", user_id, at)
            return
        if self.profiles is not None:  # name and language, before any branch asks for them
            await refresh_profile(self.db, self.profiles, user_id, max_age=FRESH_ON_FOLLOW)
        for scenario in candidates:
            await self.enroller.enrol(scenario, change.friend, cause="follow")

    async def unfollow(self, user_id: str, timestamp_ms: int, at: datetime) -> None:
        """Block every running enrollment of the friend. The store already says the friend
        blocked, so no push goes out even before a workflow sees its signal."""
        async with self.db.session() as session:
            change = await friends.record_unfollow(
                session, user_id=user_id, timestamp_ms=timestamp_ms, at=at
            )
            live = await enrollments.live_for_friend(session, user_id=user_id)
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
