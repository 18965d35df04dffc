"""What happened in enrollments, step by step: steps entered, decisions taken, deliveries —
read together to explain where an enrollment is and why."""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.tables import BranchDecision, Delivery, StepEntry


@dataclass
class History:
    entries: list[StepEntry] = field(default_factory=list)  # in the order they were entered
    decisions: list[BranchDecision] = field(default_factory=list)  # in the order taken
    deliveries: list[Delivery] = field(default_factory=list)  # in the order reserved


async def histories(session: AsyncSession, *, enrollment_ids: list[str]) -> dict[str, History]:
    """The history of each enrollment (an empty one for those without any record yet)."""
    found: dict[str, History] = defaultdict(History)
    if not enrollment_ids:
        return found
    for model, order, attribute in (
        (StepEntry, StepEntry.entered_at, "entries"),
        (BranchDecision, BranchDecision.decided_at, "decisions"),
        (Delivery, Delivery.created_at, "deliveries"),
    ):
        statement = (
            select(model)
            .where(col(model.enrollment_id).in_(enrollment_ids))
            .order_by(col(order), col(model.step_id))
        )
        for row in await session.exec(statement):
            getattr(found[row.enrollment_id], attribute).append(row)
    return found
