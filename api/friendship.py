"""What a follow or an unfollow means for enrollments (SPEC §4)."""

import logging
from datetime import UTC, datetime

from temporalio.client import Client

from api.temporal import block_enrollments, start_enrollment
from store import enrollments, friends, scenarios
from store.db import Database
from store.definitions import Definitions
from store.tables import Friend, Scenario, WebhookEvent
from workflows.types import EnrollmentInput, EnrollmentStatus

log = logging.getLogger("stepline.friendship")


class FriendshipHandler:
    def __init__(
        self, *, db: Database, temporal: Client, task_queue: str, definitions: Definitions
    ):
        self.db, self.temporal, self.task_queue = db, temporal, task_queue
        self.definitions = definitions

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
            change = await friends.record_follow(
                session, user_id=user_id, timestamp_ms=timestamp_ms, at=at
            )
            candidates = await scenarios.enrolling_on(session, trigger_type="follow")
        if not change.applied or not change.friend.following:
            log.info("follow of %s at %s is older than its last state change: ignored", user_id, at)
            return
        for scenario in candidates:
            await self.enrol(scenario, change.friend)

    async def enrol(self, scenario: Scenario, friend: Friend) -> None:
        definition = await self.definitions.get(scenario.id, scenario.version)
        added_at = friend.followed_at or datetime.now(UTC)
        if not definition.trigger.admits(route=friend.route, added_at=added_at):
            return
        async with self.db.session() as session:
            enrollment_id = await enrollments.ensure_enrollment(
                session,
                scenario_id=scenario.id,
                version=scenario.version,
                user_id=friend.user_id,
                epoch=friend.epoch,
                at=added_at,
            )
            await session.commit()
        await start_enrollment(
            self.temporal,
            task_queue=self.task_queue,
            definition=definition,
            input=EnrollmentInput(
                enrollment_id=enrollment_id,
                scenario_id=scenario.id,
                version=scenario.version,
                user_id=friend.user_id,
                epoch=friend.epoch,
                definition=definition,
                paused=scenario.status == "paused",
                control_seq=scenario.control_seq,
            ),
        )

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
