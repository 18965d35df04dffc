"""A scenario's status and versions, and what each change means for its enrollments: the new
status (or version) and the bulk operation that carries it to every enrollment are committed
together, so nothing is lost if Temporal (or this process) is away at that moment. The API,
the dashboard and the CLI all come here."""

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from domain.steps import walk_steps
from scenarios.definition import ScenarioDefinition
from scenarios.trigger import AudienceTrigger, DateTrigger
from store import scenarios
from store.definitions import Definitions
from store.pipeline_tables import Operation
from store.tables import Scenario
from triggers import audience_triggers, bulk


@dataclass
class Changed:
    scenario: Scenario
    operations: list[Operation]
    unchanged: bool = False  # a definition equal to the current version's: no new version


async def transition(
    session: AsyncSession,
    definitions: Definitions,
    scenario: Scenario,
    action: str,
    *,
    spread: timedelta | None = None,
) -> Changed:
    """activate / pause / resume / end, committed with what it calls for. ValueError: the
    move is not allowed from the scenario's status."""
    was = scenario.status
    scenario = await scenarios.change_status(
        session, scenario=scenario, action=action, commit=False
    )
    definition = await definitions.get(scenario.id, scenario.version, session=session)
    planned: list[Operation] = []
    if action == "activate" and was == "draft":
        if isinstance(definition.trigger, AudienceTrigger):  # "from now on": who is in now
            await audience_triggers.snapshot(session, scenario, definition.trigger.audience)
        if isinstance(definition.trigger, DateTrigger):  # every friend's schedule
            planned.append(await bulk.plan(session, action="dates", scenario=scenario))
    if action == "end" and isinstance(definition.trigger, DateTrigger):
        # its date schedules stop now, not at their next moment (up to a year later)
        planned.append(await bulk.plan(session, action="end_dates", scenario=scenario))
    if action == "activate" and was == "paused":
        action = "resume"  # activating a paused scenario releases its held enrollments
    if action in ("pause", "resume", "end"):
        params: dict = {"seq": scenario.control_seq}
        if action == "resume" and spread:
            params["spread_seconds"] = spread.total_seconds()
        planned.append(await bulk.plan(session, action=action, scenario=scenario, params=params))
    await session.commit()
    return Changed(scenario, planned)


async def new_version(
    session: AsyncSession,
    scenario: Scenario,
    definition: ScenarioDefinition,
    *,
    migrate: bool = False,
) -> Changed:
    """Add a version, committed with what it calls for: with `migrate`, running enrollments
    on older versions move to it after their current step (those whose step exists in it);
    an active date-triggered scenario's schedules follow the new trigger."""
    scenario = await scenarios.add_version(
        session, scenario=scenario, definition=definition, commit=False
    )
    planned: list[Operation] = []
    if scenario.status in ("active", "paused") and isinstance(definition.trigger, DateTrigger):
        planned.append(await bulk.plan(session, action="dates", scenario=scenario))
    if migrate:
        planned.append(await _migration(session, scenario, definition))
    await session.commit()
    return Changed(scenario, planned)


async def keep_version(
    session: AsyncSession, scenario: Scenario, definition: ScenarioDefinition, *, migrate: bool
) -> Changed:
    """A definition equal to the current version's: no new version; with `migrate`, running
    enrollments on older versions move to the current one."""
    planned: list[Operation] = []
    if migrate and scenario.version > 1:
        planned.append(await _migration(session, scenario, definition))
        await session.commit()
    return Changed(scenario, planned, unchanged=True)


async def _migration(
    session: AsyncSession, scenario: Scenario, definition: ScenarioDefinition
) -> Operation:
    steps = [step.id for _, step in walk_steps(definition.steps)]
    params = {"version": scenario.version, "below": scenario.version, "steps": steps}
    return await bulk.plan(session, action="migrate", scenario=scenario, params=params)
