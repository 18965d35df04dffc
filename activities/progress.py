"""Local activities that read or write the store for the workflow: branch decisions and the
enrollment's progress (no extra Temporal round-trip: they run inside the workflow task)."""

from temporalio import activity

from store.conditions import FriendFacts
from store.db import Database
from store.enrollments import record_entry, record_status
from store.tables import BranchDecision
from store.upsert import insert_ignore
from workflows.types import BranchChoice, BranchRequest, ProgressUpdate


class StoreActivities:
    def __init__(self, db: Database):
        self.db = db

    @activity.defn(name="record_progress")
    async def record_progress(self, update: ProgressUpdate) -> None:
        async with self.db.session() as session:
            await record_status(session, status=update.status, at=update.at, entered=update.entered)
            await session.commit()

    @activity.defn(name="evaluate_branch")
    async def evaluate_branch(self, request: BranchRequest) -> BranchChoice:
        """The first branch whose condition holds now, recorded for the stats."""
        async with self.db.session() as session:
            earlier = await session.get(BranchDecision, (request.enrollment_id, request.step_id))
            if earlier is not None:  # a retried attempt: keep the decision already taken
                return BranchChoice(index=earlier.branch_index)
            facts = FriendFacts(session, request.user_id)
            index = None
            for position, condition in enumerate(request.conditions):
                if await facts.holds(condition):
                    index = position
                    break
            await record_entry(
                session,
                enrollment_id=request.enrollment_id,
                scenario_id=request.scenario_id,
                step_id=request.step_id,
                at=request.at,
            )
            await insert_ignore(
                session,
                BranchDecision,
                [
                    {
                        "enrollment_id": request.enrollment_id,
                        "step_id": request.step_id,
                        "scenario_id": request.scenario_id,
                        "label": request.labels[index] if index is not None else None,
                        "branch_index": index,
                        "decided_at": request.at,
                    }
                ],
            )
            await session.commit()
        return BranchChoice(index=index, inputs=facts.inputs)
