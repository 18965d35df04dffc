"""Local activities for the steps that change the friend or the journey: `tag`, `attribute`
and `switch`."""

from temporalio import activity

from domain.ids import is_test
from domain.statuses import LIVE
from scenarios.runs import FriendUpdate, SwitchRequest, SwitchResult
from store import enrollments, friends, outbox
from store.db import Database
from store.enrollments import record_step
from store.tables import Friend, Scenario
from triggers import record
from triggers.enrol import Enroller
from workflows import contract


class JourneyActivities(contract.Journeys):
    def __init__(self, db: Database, enroller: Enroller):
        self.db, self.enroller = db, enroller

    @activity.defn
    async def update_friend(self, update: FriendUpdate) -> None:
        """Add/remove tags or set attributes (idempotent, so a retry changes nothing more), in
        one transaction with what exits, wait_fors and audience triggers make of it."""
        async with self.db.session() as session:
            await record_step(session, update)
            if update.add_tags:
                await friends.add_tags(
                    session, user_id=update.user_id, tags=update.add_tags, commit=False
                )
            for tag in update.remove_tags:
                await friends.remove_tag(session, user_id=update.user_id, tag=tag, commit=False)
            if update.set_attributes:
                await friends.merge_attributes(
                    session,
                    user_id=update.user_id,
                    attributes=update.set_attributes,
                    commit=False,
                )
            record.friends_changed(session, [update.user_id], reason="step")
            await session.commit()
            written = outbox.added(session)
        if self.enroller.expedite is not None:  # exits, wait_fors…: before the step is done
            await self.enroller.expedite(written)

    @activity.defn
    async def switch_scenario(self, request: SwitchRequest) -> SwitchResult:
        """Enrol the friend into the target scenario (an enrollment already running there is
        left alone, as is a scenario that takes nobody now)."""
        async with self.db.session() as session:
            await record_step(session, request)
            await session.commit()
            target = await session.get(Scenario, request.target)
            friend = await session.get(Friend, request.user_id)
        if is_test(request.enrollment_id):  # a test send enrols nobody for real
            return SwitchResult(reason=f"a test does not switch: not enrolled in {request.target}")
        if target is None or target.status not in ("active", "paused"):
            state = target.status if target else "missing"
            return SwitchResult(reason=f"scenario {request.target} is {state}: nobody enrolled")
        if friend is None or not friend.following:
            return SwitchResult(reason="the friend no longer follows the account")
        started = await self.enroller.enrol(target, friend, cause="switch")
        if started is None:  # one runs there already (perhaps started by an earlier attempt)
            async with self.db.session() as session:
                there = await enrollments.of_friend_in(
                    session, scenario_id=request.target, user_id=request.user_id
                )
            running = [row.id for row in there if row.status in LIVE]
            return SwitchResult(
                enrollment_id=running[0] if running else None,
                reason=None if running else f"not enrolled in {request.target}",
            )
        return SwitchResult(enrollment_id=started)
