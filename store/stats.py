"""Scenario stats (SPEC §7), counted over the enrollments started in a period."""

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from scenarios.definition import BranchStep, SplitStep, Step, WaitForStep, walk_steps
from store.scenarios import get_definition
from store.tables import BranchDecision, Click, Delivery, Enrollment, Scenario, StepEntry
from workflows.types import LIVE


class StepStats(BaseModel):
    id: str
    entered: int = 0
    sent: int = 0
    failed: int = 0
    clicks: int = 0


class BranchStats(BaseModel):
    step: str
    label: str
    taken: int = 0


class ScenarioStats(BaseModel):
    enrolled: int  # LINE's "users targeted in the period"
    completed: int  # LINE's "users who received every message" on their path
    active: int
    blocked: int
    exited: int
    ended: int  # ended by the scenario: `end`, or its delivery cap (status `capped`)
    failed: int
    messages_sent: int
    steps: list[StepStats]
    branches: list[BranchStats]


async def scenario_stats(
    session: AsyncSession, *, scenario: Scenario, start: datetime | None, end: datetime | None
) -> ScenarioStats:
    in_period = select(Enrollment.id).where(Enrollment.scenario_id == scenario.id)
    if start:
        in_period = in_period.where(Enrollment.started_at >= start)
    if end:
        in_period = in_period.where(Enrollment.started_at < end)
    ids = in_period.scalar_subquery()

    by_status = dict(
        (
            await session.exec(
                select(Enrollment.status, func.count())
                .where(col(Enrollment.id).in_(ids))
                .group_by(Enrollment.status)
            )
        ).all()
    )
    entered = dict(
        (
            await session.exec(
                select(StepEntry.step_id, func.count())
                .where(col(StepEntry.enrollment_id).in_(ids))
                .group_by(StepEntry.step_id)
            )
        ).all()
    )
    sent: dict[tuple[str, str], int] = {
        (step, state): count
        for step, state, count in await session.exec(
            select(Delivery.step_id, Delivery.status, func.count())
            .where(col(Delivery.enrollment_id).in_(ids))
            .group_by(Delivery.step_id, Delivery.status)
        )
    }
    taken: dict[tuple[str, str | None], int] = {
        (step, label): count
        for step, label, count in await session.exec(
            select(BranchDecision.step_id, BranchDecision.label, func.count())
            .where(col(BranchDecision.enrollment_id).in_(ids))
            .group_by(BranchDecision.step_id, BranchDecision.label)
        )
    }

    clicks = dict(
        (
            await session.exec(
                select(Click.step_id, func.count())
                .where(col(Click.enrollment_id).in_(ids))
                .group_by(Click.step_id)
            )
        ).all()
    )

    definition = await get_definition(session, scenario_id=scenario.id, version=scenario.version)
    step_ids = [step.id for _, step in walk_steps(definition.steps)]
    step_ids += sorted({s for s in entered if s not in step_ids})  # steps of older versions
    branches = [
        BranchStats(
            step=step.id,
            label=label,
            taken=taken.get((step.id, None if label == "otherwise" else label), 0),
        )
        for _, step in walk_steps(definition.steps)
        for label in _ways(step)
    ]
    return ScenarioStats(
        enrolled=sum(by_status.values()),
        completed=by_status.get("completed", 0),
        active=sum(by_status.get(s, 0) for s in LIVE),
        blocked=by_status.get("blocked", 0),
        exited=by_status.get("exited", 0),
        ended=by_status.get("ended", 0) + by_status.get("capped", 0),
        failed=by_status.get("failed", 0),
        messages_sent=sum(count for (_, state), count in sent.items() if state == "sent"),
        steps=[
            StepStats(
                id=step_id,
                entered=entered.get(step_id, 0),
                sent=sent.get((step_id, "sent"), 0),
                failed=sent.get((step_id, "failed"), 0),
                clicks=clicks.get(step_id, 0),
            )
            for step_id in step_ids
        ],
        branches=branches,
    )


def _ways(step: Step) -> list[str]:
    """The labels a step can take: branches, split arms, a wait_for's two ways out."""
    if isinstance(step, BranchStep):
        return [branch.label for branch in step.branches] + ["otherwise"]
    if isinstance(step, SplitStep):
        return [arm.label for arm in step.arms]
    if isinstance(step, WaitForStep):
        return ["then", "on_timeout"]
    return []
