"""Admit a friend into a scenario, by whichever trigger: a follow, an event, an audience
entered, a date, or a `switch` step of another scenario. The enrollment row and the command
that starts its workflow are written in one transaction; the dispatcher starts it
(triggers/commands.py)."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from domain.statuses import LIVE
from scenarios.definition import ScenarioDefinition
from scenarios.runs import PROTOCOL, EnrollmentInput, FirstWait, UnblockSignal, first_wait
from scenarios.trigger import DateTrigger, FollowTrigger
from store import enrollments, events, outbox
from store.db import Database
from store.definitions import Definitions
from store.enrollment_ids import enrollment_id
from store.tables import Enrollment, Friend, Scenario
from store.types import utcnow
from triggers import record
from triggers.kinds import Cause, Expedite

log = logging.getLogger("stepline.enrol")


def record_admission(session: AsyncSession, admission: "Admission") -> None:
    """What the dispatcher is to do for an admission, in its transaction: start the new
    enrollment, or let the parked ones go on (a re-add with `on_unblock: resume`)."""
    if not admission.resume:
        record.start(session, enrollment_id=admission.workflow_id, cause=admission.cause)
        return
    for workflow_id in admission.resume:
        record.signal(
            session,
            workflow_id=workflow_id,
            name="unblock",
            args=UnblockSignal(epoch=admission.friend.epoch),
        )


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
        protocol=PROTOCOL,
        **more,
    )


def handed_wait(
    row: Enrollment, scenario: Scenario, definition: ScenarioDefinition
) -> FirstWait | None:
    """The first wait the admission wrote on the row (ensure_enrollments), for the workflow to
    take as recorded; None when the row says otherwise, or the scenario is paused (the
    workflow then reports its own way in)."""
    first = first_wait(definition, _utc(row.started_at))
    if first is None or scenario.status == "paused" or row.status != "waiting":
        return None
    if row.current_step != first.step_id or row.next_wake_at is None:
        return None
    return FirstWait(step_id=first.step_id, wake=_utc(row.next_wake_at))


@dataclass(frozen=True)
class Admission:
    """A friend a scenario takes, its row written: either a new enrollment to start
    (`workflow_id`), or, on a re-add after a block with `on_unblock: resume`, parked
    enrollments to signal (`resume`)."""

    workflow_id: str
    scenario: Scenario
    friend: Friend
    definition: ScenarioDefinition
    cause: Cause
    resume: tuple[str, ...] = ()


class Enroller:
    def __init__(self, *, db: Database, task_queue: str, definitions: Definitions):
        self.db, self.task_queue, self.definitions = db, task_queue, definitions
        # the dispatcher's, where one runs in this process: a start is made at once
        self.expedite: Expedite | None = None

    async def enrol(
        self,
        scenario: Scenario,
        friend: Friend,
        *,
        cause: Cause,
        event_seq: int | None = None,
        since: datetime | None = None,
    ) -> str | None:
        """The enrollment's id, or None when the scenario does not take this friend now:
        `admit` and `record`, committed in a transaction of its own."""
        if not friend.following:
            return None
        async with self.db.session() as session:
            admission = await self.admit(
                session, scenario, friend, cause=cause, event_seq=event_seq, since=since
            )
            if admission is None:
                return None
            record_admission(session, admission)
            await session.commit()
            written = outbox.added(session)
        if self.expedite is not None:  # an activity's switch or date: started before it ends
            await self.expedite(written)
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
        reply_event: str | None = None,
    ) -> Admission | None:
        """The enrollment row if the scenario takes the friend, else None, in the caller's
        transaction (which commits it, with `record_admission`'s commands).

        A follow enrols once per follow epoch (an unblock starts over, as on LINE). Events,
        keywords and audiences enrol once per friend and scenario, or again after the last
        enrollment ended when the scenario says `reentry: true`. A switch enrols unless one is
        running. `event_seq`: the event that enrols (its Event.seq); an enrollment that began
        after it was recorded is its enrollment already (the event handled a second time).
        A date enrols once, or every year (`yearly: true`, whatever `reentry` says); `since`:
        the moment the date came (an enrollment begun since then is this one's already).
        `reply_event`: the webhook event (follow, message, postback) that admits the friend,
        whose replyToken may carry the first message (activities/replying.py)."""
        if not friend.following:
            return None
        definition = await self.definitions.get(scenario.id, scenario.version, session=session)
        if cause == "follow":
            entry = await self._follow_entry(session, scenario, definition, friend)
            if entry is None or isinstance(entry, Admission):
                return entry
            at = friend.followed_at or utcnow()
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
            reply_event=reply_event,
            first_wait=first_wait(definition, at),
        )
        return Admission(workflow_id, scenario, friend, definition, cause)

    async def admit_follows(
        self, session: AsyncSession, scenario: Scenario, follows: list[tuple[Friend, str | None]]
    ) -> list[Admission]:
        """`admit` (cause: follow) for many friends who just followed, each with the webhook
        event that admits them: their enrollment rows written with one statement, their
        latest events read with one (a first follow needs no other)."""
        definition = await self.definitions.get(scenario.id, scenario.version, session=session)
        admissions: list[Admission] = []
        rows: list[dict] = []
        for friend, reply_event in follows:
            if not friend.following:
                continue
            entry = await self._follow_entry(session, scenario, definition, friend)
            if isinstance(entry, Admission):
                admissions.append(entry)
            elif entry is not None:
                eid = enrollment_id(
                    scenario_id=scenario.id, user_id=friend.user_id, epoch=friend.epoch, entry=entry
                )
                rows.append(
                    {
                        "id": eid,
                        "scenario_id": scenario.id,
                        "version": scenario.version,
                        "user_id": friend.user_id,
                        "epoch": friend.epoch,
                        "entry": entry,
                        "reply_event": reply_event,
                        "at": (at := friend.followed_at or utcnow()),
                        "first_wait": first_wait(definition, at),
                    }
                )
                admissions.append(Admission(eid, scenario, friend, definition, "follow"))
        seqs = await events.last_seqs(session, [row["user_id"] for row in rows])
        await enrollments.ensure_enrollments(
            session, [row | {"event_seq": seqs[row["user_id"]]} for row in rows]
        )
        return admissions

    async def _follow_entry(
        self,
        session: AsyncSession,
        scenario: Scenario,
        definition: ScenarioDefinition,
        friend: Friend,
    ) -> "int | Admission | None":
        """Whether a follow admits the friend: its entry (1: a follow enrols once per follow
        epoch), the parked enrollments to resume (a re-add with `on_unblock: resume`), or
        None. Only a re-add reads the store."""
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
                    parked[0], scenario, friend, definition, "follow", resume=tuple(parked)
                )
            if before:  # went through it before the block: not again
                return None
        return 1


def _utc(moment: datetime) -> datetime:
    """SQLite hands datetimes back without their (UTC) offset."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
