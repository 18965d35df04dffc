"""Scenarios, their immutable versions and their status."""

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from scenarios.definition import ScenarioDefinition
from store.ids import new_id
from store.tables import Scenario, ScenarioVersion
from store.types import utcnow

TRANSITIONS = {
    "activate": ({"draft", "paused"}, "active"),
    "pause": ({"active"}, "paused"),
    "resume": ({"paused"}, "active"),
    "end": ({"draft", "active", "paused"}, "ended"),
}


async def create_scenario(session: AsyncSession, *, definition: ScenarioDefinition) -> Scenario:
    scenario = Scenario(
        id=new_id("scn"),
        name=definition.name,
        trigger_type=definition.trigger.type,
        delivery_cap=definition.delivery_cap,
    )
    session.add(scenario)
    session.add(ScenarioVersion(scenario_id=scenario.id, version=1, definition=definition.dump()))
    await session.commit()
    return scenario


async def add_version(
    session: AsyncSession,
    *,
    scenario: Scenario,
    definition: ScenarioDefinition,
    commit: bool = True,
) -> Scenario:
    """A new version; enrollments already running keep the one they started on.
    `commit=False`: the caller's transaction commits it."""
    scenario.version += 1
    scenario.name = definition.name
    scenario.trigger_type = definition.trigger.type
    scenario.delivery_cap = definition.delivery_cap
    scenario.updated_at = utcnow()
    session.add(scenario)
    session.add(
        ScenarioVersion(
            scenario_id=scenario.id, version=scenario.version, definition=definition.dump()
        )
    )
    if commit:
        await session.commit()
    return scenario


async def get_scenario(session: AsyncSession, *, scenario_id: str) -> Scenario | None:
    return await session.get(Scenario, scenario_id)


async def list_scenarios(session: AsyncSession) -> list[Scenario]:
    return list(await session.exec(select(Scenario).order_by(col(Scenario.created_at))))


async def get_definition(
    session: AsyncSession, *, scenario_id: str, version: int
) -> ScenarioDefinition:
    row = await session.get(ScenarioVersion, (scenario_id, version))
    if row is None:
        raise LookupError(f"scenario {scenario_id} has no version {version}")
    return ScenarioDefinition.model_validate(row.definition)


async def change_status(
    session: AsyncSession, *, scenario: Scenario, action: str, commit: bool = True
) -> Scenario:
    """Apply activate/pause/resume/end; raises ValueError when the move is not allowed.
    `commit=False`: the caller's transaction commits it."""
    allowed_from, target = TRANSITIONS[action]
    if scenario.status not in allowed_from:
        raise ValueError(f"cannot {action} a scenario that is {scenario.status}")
    scenario.status = target
    scenario.control_seq += 1
    scenario.updated_at = utcnow()
    session.add(scenario)
    if commit:
        await session.commit()
    return scenario


async def enrolling_on(session: AsyncSession, *, trigger_type: str) -> list[Scenario]:
    """Scenarios that take new friends for a trigger: active ones, and paused ones (their new
    enrollments start held, so nobody who arrives during a pause is dropped)."""
    statement = select(Scenario).where(
        Scenario.trigger_type == trigger_type, col(Scenario.status).in_(("active", "paused"))
    )
    return [
        s
        for s in await session.exec(statement)
        if s.delivery_cap is None or s.sent_count < s.delivery_cap
    ]


async def reserve_delivery(session: AsyncSession, *, scenario_id: str) -> bool:
    """Count one push against the scenario's delivery cap; False when the cap is reached.
    One conditional UPDATE, so concurrent senders can never exceed the cap."""
    statement = (
        update(Scenario)
        .where(col(Scenario.id) == scenario_id)
        .where(
            (col(Scenario.delivery_cap).is_(None)) | (Scenario.sent_count < Scenario.delivery_cap)
        )
        .values(sent_count=Scenario.sent_count + 1)
    )
    result = await session.exec(statement)
    return result.rowcount == 1


async def reserve_deliveries(session: AsyncSession, *, scenario_id: str, count: int) -> bool:
    """Count `count` pushes at once when the scenario has no cap (False: it has one, and
    nothing was counted; reserve_delivery then counts them one by one)."""
    statement = (
        update(Scenario)
        .where(col(Scenario.id) == scenario_id, col(Scenario.delivery_cap).is_(None))
        .values(sent_count=Scenario.sent_count + count)
    )
    result = await session.exec(statement)
    return result.rowcount == 1


async def release_delivery(session: AsyncSession, *, scenario_id: str) -> None:
    await session.exec(
        update(Scenario)
        .where(col(Scenario.id) == scenario_id)
        .values(sent_count=Scenario.sent_count - 1)
    )
