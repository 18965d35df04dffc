"""What moving a scenario's running enrollments to another version would do (issue: versions
done right): who sits on which step, and whether that step exists in the target version."""

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.statuses import LIVE
from scenarios.definition import ScenarioDefinition
from store.enrollment_ids import counted
from store.tables import Enrollment


class StepImpact(BaseModel):
    version: int  # the version these friends run on now
    step: str | None  # where they are (None: not started yet)
    status: str
    friends: int
    migrates: bool  # the step exists in the target version: they would move at their next step


class Impact(BaseModel):
    scenario_id: str
    to_version: int
    running: int
    would_migrate: int
    would_stay: int  # finish on their own version: the step they are on is gone
    already: int  # running on the target version already
    steps: list[StepImpact]


async def impact(
    session: AsyncSession, *, scenario_id: str, target: ScenarioDefinition, to_version: int
) -> Impact:
    rows = await session.exec(
        select(Enrollment.version, Enrollment.current_step, Enrollment.status, func.count())
        .where(
            Enrollment.scenario_id == scenario_id,
            col(Enrollment.status).in_(LIVE),
            counted(Enrollment.id),  # a test send's runs stay on their version
        )
        .group_by(Enrollment.version, Enrollment.current_step, Enrollment.status)
        .order_by(Enrollment.version, Enrollment.current_step, Enrollment.status)
    )
    steps = [
        StepImpact(
            version=version,
            step=step,
            status=status,
            friends=count,
            migrates=version != to_version and (step is None or target.step(step) is not None),
        )
        for version, step, status, count in rows
    ]
    moving = sum(s.friends for s in steps if s.migrates)
    already = sum(s.friends for s in steps if s.version == to_version)
    running = sum(s.friends for s in steps)
    return Impact(
        scenario_id=scenario_id,
        to_version=to_version,
        running=running,
        would_migrate=moving,
        would_stay=running - moving - already,
        already=already,
        steps=steps,
    )
