"""Start a friend's enrollment in a scenario, by whichever trigger: a follow, an event, an
audience entered, or a `switch` step of another scenario."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from core import metrics
from scenarios.definition import DateTrigger, FollowTrigger, ScenarioDefinition
from store import enrollments, events
from store.db import Database
from store.definitions import Definitions
from store.tables import Friend, Scenario
from store.types import utcnow
from triggers.temporal import start_enrollment, unblock_enrollments
from workflows.types import LIVE, EnrollmentInput

log = logging.getLogger("stepline.enrol")
Cause = Literal["follow", "event", "keyword", "audience", "switch", "date"]


def enrollment_input(
    workflow_id: str,
    scenario: Scenario,
    version: int,
    friend: Friend,
    *,
    definition: ScenarioDefinition,
    **more: Any,
) -> EnrollmentInput:
    """What the enrollment workflow starts from: the scenario version, the friend's epoch,
    and whether the scenario is paused right now (with its control sequence)."""
    return EnrollmentInput(
        enrollment_id=workflow_id,
        scenario_id=scenario.id,
        version=version,
        user_id=friend.user_id,
        epoch=friend.epoch,
        definition=definition,
        paused=scenario.status == "paused",
        control_seq=scenario.control_seq,
        fast=True,
        **more,
    )


@dataclass(frozen=True)
class Admission:
    """A friend a scenario takes, its rows written: what Temporal is to do once they are
    committed. Either a new enrollment to start (`workflow_id`), or, on a re-add after a
    block with `on_unblock: resume`, parked enrollments to signal (`resume`)."""

    workflow_id: str
    scenario: Scenario
    friend: Friend
    definition: ScenarioDefinition
    cause: Cause
    resume: tuple[str, ...] = ()


class Enroller:
    def __init__(
        self,
        *,
        db: Database,
        temporal: Client,
        task_queue: str,
        definitions: Definitions,
        eager: bool = False,
    ):
        self.db, self.temporal, self.task_queue = db, temporal, task_queue
        self.definitions = definitions
        # in a worker's process, on its client: Temporal hands the first workflow task of a
        # start straight back to that worker (eager workflow start), no poll in between
        self.eager = eager

    async def enrol(
        self,
        scenario: Scenario,
        friend: Friend,
        *,
        cause: Cause,
        event_seq: int | None = None,
        since: datetime | None = None,
    ) -> str | None:
        """The enrollment's id, or None when the scenario does not take this friend now.

        A follow enrols once per follow epoch (an unblock starts over, as on LINE). Events,
        keywords and audiences enrol once per friend and scenario, or again after the last
        enrollment ended when the scenario says `reentry: true`. A switch enrols unless one is
        running. `event_seq`: the event that enrols (its Event.seq); an enrollment that began
        after it was recorded is its enrollment already (the event handled a second time).
        A date enrols once, or every year (`yearly: true`, whatever `reentry` says); `since`:
        the moment the date came (an enrollment begun since then is this one's already).

        `admit` in a transaction of its own, then `start` once it is committed."""
        if not friend.following:
            return None
        async with self.db.session() as session:
            admission = await self.admit(
                session, scenario, friend, cause=cause, event_seq=event_seq, since=since
            )
            if admission is None:
                return None
            await session.commit()
        await self.start(admission)
        return admission.workflow_id

    async def admit(
        self,
        session: AsyncSession,
        scenario: Scenario,
        friend: Friend,
        *,
        cause: Cause,
        event_seq: int | None = None,
        since: datetime | None = None,
    ) -> Admission | None:
        """`enrol`'s part in the store, in the caller's transaction (which commits it): the
        enrollment row if the scenario takes the friend, else None. Nothing is asked of
        Temporal here; pass what this returns to `start` after the commit."""
        if not friend.following:
            return None
        definition = await self.definitions.get(scenario.id, scenario.version, session=session)
        if cause == "follow":
            trigger = definition.trigger
            added_at = friend.followed_at or utcnow()
            if not isinstance(trigger, FollowTrigger) or not trigger.admits(
                route=friend.route, added_at=added_at
            ):
                return None
            if definition.on_unblock != "restart" and friend.epoch > 1:
                before = await enrollments.of_friend_in(
                    session, scenario_id=scenario.id, user_id=friend.user_id
                )
                parked = [r.id for r in before if r.status in LIVE and r.epoch < friend.epoch]
                if parked:  # on_unblock: resume — it goes on where its schedule is
                    return Admission(
                        parked[0], scenario, friend, definition, cause, resume=tuple(parked)
                    )
                if before:  # went through it before the block: not again
                    return None
            entry, at = 1, added_at
        else:
            earlier = await enrollments.of_friend_in(
                session, scenario_id=scenario.id, user_id=friend.user_id
            )
            if any(row.status in LIVE for row in earlier):
                return None
            yearly = isinstance(definition.trigger, DateTrigger) and definition.trigger.yearly
            if earlier and cause != "switch" and not definition.reentry and not yearly:
                return None
            if since is not None and any(_utc(row.started_at) >= since for row in earlier):
                return None  # begun since the date came: its enrollment already
            if event_seq is not None and any(row.event_seq >= event_seq for row in earlier):
                return None  # began after this event was recorded: its enrollment already
            entry = 1 + sum(1 for row in earlier if row.epoch == friend.epoch)
            at = utcnow()
        workflow_id = await enrollments.ensure_enrollment(
            session,
            scenario_id=scenario.id,
            version=scenario.version,
            user_id=friend.user_id,
            epoch=friend.epoch,
            entry=entry,
            at=at,
            event_seq=await events.last_seq(session, user_id=friend.user_id),
        )
        return Admission(workflow_id, scenario, friend, definition, cause)

    async def start(self, admission: Admission) -> None:
        """Start the admitted enrollment's workflow (an existing one is left as it is), or
        signal the parked ones to go on. Only once `admit`'s transaction is committed."""
        if admission.resume:
            await unblock_enrollments(self.temporal, admission.resume, epoch=admission.friend.epoch)
            return
        scenario, friend, definition = admission.scenario, admission.friend, admission.definition
        started = await start_enrollment(
            self.temporal,
            task_queue=self.task_queue,
            definition=definition,
            eager=self.eager,
            input=enrollment_input(
                admission.workflow_id, scenario, scenario.version, friend, definition=definition
            ),
        )
        if started:
            metrics.ENROLMENTS.labels(scenario_id=scenario.id, trigger=admission.cause).inc()
        log.info(
            "enrolled %s in %s (%s): %s",
            friend.user_id,
            scenario.id,
            admission.cause,
            admission.workflow_id,
            extra={"enrollment_id": admission.workflow_id},
        )


def _utc(moment: datetime) -> datetime:
    """SQLite hands datetimes back without their (UTC) offset."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
