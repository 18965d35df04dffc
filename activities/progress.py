"""Local activities that read or write the store for the workflow: branch decisions and the
enrollment's progress (no extra Temporal round-trip: they run inside the workflow task)."""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity

from scenarios.runs import (
    BranchChoice,
    BranchRequest,
    ConditionRequest,
    ConditionResult,
    DecisionRecord,
    EnrollmentStatus,
    ProgressUpdate,
)
from store import events
from store.batches import GroupCommit
from store.conditions import FriendFacts
from store.db import Database
from store.enrollment_progress import CHUNK, record_status, record_statuses
from store.enrollments import record_step
from store.tables import BranchDecision, Friend, StepEntry
from store.types import utcnow
from store.upsert import insert_ignore
from workflows import contract

# Conditions compare with the data's own clock (events, clicks and deliveries carry the time
# they happened), so "within P7D" is asked at the moment the activity runs, not at the
# workflow's time; the two agree in production and differ only on a time-skipping test server.


class StoreActivities(contract.Progress):
    def __init__(self, db: Database):
        self.db = db
        # the progress of enrollments reporting at the same moment (2,000 waking at once) is
        # written in one transaction, not one each (store/batches.py)
        self.progress = GroupCommit(db, record_statuses, name="record_progress")
        self.branches = GroupCommit(db, decide_branches, name="evaluate_branch")

    @activity.defn
    async def record_progress(self, update: ProgressUpdate) -> EnrollmentStatus | None:
        """Returns once the transaction holding this update has committed: None, or the
        store's own end when a final report finds the enrollment ended otherwise."""
        return await self.progress.submit(update)

    @activity.defn
    async def evaluate_branch(self, request: BranchRequest) -> BranchChoice:
        """The first branch whose condition holds now, recorded for the stats (the decisions
        of enrollments waking together are taken and written in one transaction)."""
        return await self.branches.submit(request)

    @activity.defn
    async def record_decision(self, record: DecisionRecord) -> None:
        """Which arm of a split, or which way out of a wait_for, the enrollment took."""
        async with self.db.session() as session:
            await _record_decision(session, record)
            await session.commit()

    @activity.defn
    async def check_condition(self, request: ConditionRequest) -> ConditionResult:
        """A wait_for's `until`, now. On entering the step, first record it and the last
        event seen, so "an event since the step began" is exact whoever looks."""
        async with self.db.session() as session:
            if request.progress is not None:
                await record_status(session, status=request.progress.status, at=request.at)
                await record_step(
                    session,
                    request,
                    event_seq=await events.last_seq(session, user_id=request.user_id),
                )
                await session.commit()
                facts = await FriendFacts.since_step(
                    session, request.user_id, request.enrollment_id, request.step_id
                )
            else:  # the last look: events since the step began, as its first look counted
                facts = FriendFacts(
                    session,
                    request.user_id,
                    at=utcnow(),
                    enrollment_id=request.enrollment_id,
                    events_after=request.events_after,
                )
            holds = await facts.holds(request.condition)
        return ConditionResult(holds=holds, events_after=facts.events_after, inputs=facts.inputs)


async def decide_branches(
    session: AsyncSession, requests: list[BranchRequest]
) -> list[BranchChoice]:
    """Each request's first branch whose condition holds, and the decisions recorded; a
    retried attempt keeps the decision already taken. The friends' rows and earlier decisions
    are read with one statement for them all, the decisions written with one."""
    ids = sorted({request.enrollment_id for request in requests})
    earlier: dict[tuple[str, str], BranchDecision] = {}
    friends: dict[str, Friend] = {}
    users = sorted({request.user_id for request in requests})
    for start in range(0, max(len(ids), len(users)), CHUNK):
        statement = select(BranchDecision).where(
            col(BranchDecision.enrollment_id).in_(ids[start : start + CHUNK])
        )
        earlier.update(
            ((row.enrollment_id, row.step_id), row) for row in await session.exec(statement)
        )
        statement = select(Friend).where(col(Friend.user_id).in_(users[start : start + CHUNK]))
        friends.update((row.user_id, row) for row in await session.exec(statement))
    choices: list[BranchChoice] = []
    records: list[DecisionRecord] = []
    for request in requests:
        decided = earlier.get((request.enrollment_id, request.step_id))
        if decided is not None:
            choices.append(BranchChoice(index=decided.branch_index, inputs=decided.inputs))
            continue
        facts = FriendFacts(
            session, request.user_id, at=utcnow(), enrollment_id=request.enrollment_id
        ).know(friends.get(request.user_id))
        index = None
        for position, condition in enumerate(request.conditions):
            if await facts.holds(condition):
                index = position
                break
        choices.append(BranchChoice(index=index, inputs=facts.inputs))
        records.append(
            DecisionRecord(
                enrollment_id=request.enrollment_id,
                scenario_id=request.scenario_id,
                step_id=request.step_id,
                label=request.labels[index] if index is not None else None,
                index=index,
                at=request.at,
                inputs=facts.inputs,
            )
        )
    await _record_decisions(session, records)
    return choices


async def _record_decision(session, record: DecisionRecord) -> None:
    await _record_decisions(session, [record])


async def _record_decisions(session, records: list[DecisionRecord]) -> None:
    """Step entries and decisions, each kept once (the first written stays)."""
    for start in range(0, len(records), CHUNK):
        chunk = records[start : start + CHUNK]
        await insert_ignore(
            session,
            StepEntry,
            [
                {
                    "enrollment_id": record.enrollment_id,
                    "step_id": record.step_id,
                    "scenario_id": record.scenario_id,
                    "entered_at": record.at,
                    "event_seq": None,
                }
                for record in chunk
            ],
        )
        await insert_ignore(
            session,
            BranchDecision,
            [
                {
                    "enrollment_id": record.enrollment_id,
                    "step_id": record.step_id,
                    "scenario_id": record.scenario_id,
                    "label": record.label,
                    "branch_index": record.index,
                    "decided_at": record.at,
                    "inputs": record.inputs,
                }
                for record in chunk
            ],
        )
