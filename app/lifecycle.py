"""A scenario's lifecycle, as the API, the dashboard and the CLI (through the API) ask for it:
create (from a definition or a template), a new version, activate, pause, resume, end. The
checks a definition passes against the store are here; what each change means for the
enrollments is triggers/lifecycle.py's."""

from datetime import UTC, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Conflict, NotFound
from scenarios.definition import ScenarioDefinition
from scenarios.validate import (
    DefinitionError,
    audience_references,
    message_errors,
    reference_errors,
    scenario_references,
    wait_errors,
)
from store import scenarios
from store.definitions import Definitions
from store.impact import impact
from store.tables import Audience, Scenario
from triggers import lifecycle
from triggers.lifecycle import Changed


async def checked(
    session: AsyncSession, definition: ScenarioDefinition, scenario_id: str | None = None
) -> ScenarioDefinition:
    """The definition, once its messages, references, waits, audiences and switch targets
    hold (DefinitionError lists every problem with its path)."""
    errors = (
        message_errors(definition)
        + reference_errors(definition)
        + wait_errors(definition, datetime.now(UTC))
    )
    for path, audience_id in audience_references(definition):
        if await session.get(Audience, audience_id) is None:
            errors.append(
                {
                    "path": path,
                    "msg": f"unknown audience {audience_id!r}",
                    "type": "unknown_audience",
                }
            )
    for path, target in scenario_references(definition):
        if target == scenario_id:
            problem = "a scenario cannot switch to itself"
        elif await session.get(Scenario, target) is None:
            problem = f"unknown scenario {target!r}"
        else:
            continue
        errors.append({"path": path, "msg": problem, "type": "unknown_scenario"})
    if errors:
        raise DefinitionError(errors)
    return definition


async def find(session: AsyncSession, scenario_id: str) -> Scenario:
    scenario = await scenarios.get_scenario(session, scenario_id=scenario_id)
    if scenario is None:
        raise NotFound(f"no scenario {scenario_id!r}")
    return scenario


async def definition_of(
    session: AsyncSession, scenario: Scenario, version: int | None = None
) -> ScenarioDefinition:
    """Version `version` of the scenario (default: its current one)."""
    try:
        return await scenarios.get_definition(
            session, scenario_id=scenario.id, version=version or scenario.version
        )
    except LookupError as exc:
        raise NotFound(str(exc)) from None


async def running(session: AsyncSession, scenario: Scenario) -> int:
    """How many friends are on their way through the scenario now (its live enrollments; a
    test send's runs are not its): the enrollments ending it would end."""
    definition = await definition_of(session, scenario)
    found = await impact(
        session, scenario_id=scenario.id, target=definition, to_version=scenario.version
    )
    return found.running


async def create(
    session: AsyncSession,
    definitions: Definitions,
    definition: ScenarioDefinition,
    *,
    activate: bool = False,
) -> Scenario:
    """A new scenario (version 1, a draft), checked; `activate`: then activated."""
    scenario = await scenarios.create_scenario(
        session, definition=await checked(session, definition)
    )
    if activate:
        scenario = (await transition(session, definitions, scenario.id, "activate")).scenario
    return scenario


async def new_version(
    session: AsyncSession, scenario_id: str, definition: ScenarioDefinition, *, migrate: bool
) -> Changed:
    """A new version, checked; `migrate`: running enrollments move to it. A definition
    equal to the current version's (the same document once read: comments, key order and
    defaults written out or not do not matter) makes none: `Changed.unchanged`, and with
    `migrate` the enrollments on older versions move to the current one."""
    scenario = await find(session, scenario_id)
    if scenario.status == "ended":
        raise Conflict("the scenario has ended; create a new one")
    definition = await checked(session, definition, scenario_id)
    try:
        current = await definition_of(session, scenario)
    except NotFound:  # its current version is missing: a new one mends it
        current = None
    if current is not None and current.dump() == definition.dump():
        return await lifecycle.keep_version(session, scenario, definition, migrate=migrate)
    return await lifecycle.new_version(session, scenario, definition, migrate=migrate)


async def transition(
    session: AsyncSession,
    definitions: Definitions,
    scenario_id: str,
    action: str,
    *,
    spread: timedelta | None = None,
) -> Changed:
    """activate, pause, resume or end, with the operations that carry it to the enrollments."""
    scenario = await find(session, scenario_id)
    try:
        return await lifecycle.transition(session, definitions, scenario, action, spread=spread)
    except ValueError as exc:  # not from the scenario's status
        raise Conflict(str(exc)) from None
