"""Scenarios: definitions, versions, status, enrollments, stats (SPEC §3)."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Response, status
from pydantic import AwareDatetime, BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from api.deps import Admin, ServicesDep, SessionDep
from api.errors import StrictJSONRoute, unprocessable
from api.schemas import EnrollmentPublic
from scenarios.conditions import period_of
from scenarios.definition import ScenarioDefinition
from scenarios.validate import (
    DefinitionError,
    audience_references,
    message_errors,
    reference_errors,
    scenario_references,
    wait_errors,
)
from store import enrollments, scenarios, stats
from store.impact import Impact, impact
from store.tables import Audience, Scenario
from triggers.temporal import control_enrollments, migrate_enrollments
from workflows.types import ControlSignal, MigrateSignal, Status

router = APIRouter(
    prefix="/scenarios", tags=["scenarios"], dependencies=Admin, route_class=StrictJSONRoute
)
MAX_INT = 2**31 - 1
DEFAULT_SPREAD = "PT5M"  # beyond it a query parameter would overflow the database's integers


class ScenarioRef(BaseModel):
    id: str
    version: int
    status: str


class ScenarioPublic(ScenarioRef):
    name: str
    trigger_type: str
    delivery_cap: int | None
    sent_count: int
    created_at: datetime
    updated_at: datetime


class ScenarioDetail(ScenarioPublic):
    definition: dict[str, Any]
    definition_version: int


async def _checked(
    session: AsyncSession, definition: ScenarioDefinition, scenario_id: str | None = None
) -> ScenarioDefinition:
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


async def _scenario(session: AsyncSession, scenario_id: str) -> Scenario:
    scenario = await scenarios.get_scenario(session, scenario_id=scenario_id)
    if scenario is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no scenario {scenario_id!r}")
    return scenario


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ScenarioRef)
async def create_scenario(definition: ScenarioDefinition, session: SessionDep) -> Scenario:
    """Create a scenario (version 1, draft) from a definition."""
    return await scenarios.create_scenario(session, definition=await _checked(session, definition))


@router.get("", response_model=list[ScenarioPublic])
async def list_scenarios(session: SessionDep) -> list[Scenario]:
    """Every scenario with its current version and status."""
    return await scenarios.list_scenarios(session)


@router.get("/{scenario_id}", response_model=ScenarioDetail)
async def read_scenario(
    scenario_id: str,
    session: SessionDep,
    version: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
) -> dict[str, Any]:
    """A scenario and its definition (the current version, or `?version=N`)."""
    scenario = await _scenario(session, scenario_id)
    wanted = version or scenario.version
    try:
        definition = await scenarios.get_definition(
            session, scenario_id=scenario_id, version=wanted
        )
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    return {**scenario.model_dump(), "definition": definition.dump(), "definition_version": wanted}


class VersionRef(ScenarioRef):
    migrating: int | None = None  # with ?migrate=true: enrollments told to move to it


@router.put("/{scenario_id}", response_model=VersionRef, response_model_exclude_none=True)
async def update_scenario(
    scenario_id: str,
    definition: ScenarioDefinition,
    session: SessionDep,
    services: ServicesDep,
    migrate: Annotated[
        bool, Query(description="move running enrollments to it at their next step")
    ] = False,
) -> dict[str, Any]:
    """A new version. Running enrollments keep the version they started on, unless
    `migrate=true`: then those whose current step exists in the new version move to it once
    that step is done (see `GET /scenarios/{id}/impact` first); the others finish on theirs."""
    scenario = await _scenario(session, scenario_id)
    if scenario.status == "ended":
        raise HTTPException(
            status.HTTP_409_CONFLICT, detail="the scenario has ended; create a new one"
        )
    definition = await _checked(session, definition, scenario_id)
    scenario = await scenarios.add_version(session, scenario=scenario, definition=definition)
    answer: dict[str, Any] = scenario.model_dump()
    if scenario.status in ("active", "paused") and definition.trigger.type == "date":
        await services.changes.dates_rescheduled(scenario)  # the new offset, time, attribute
    if migrate:
        live = await enrollments.live_for_scenario(session, scenario_id=scenario_id)
        movable = [
            row.id
            for row in live
            if row.version < scenario.version
            and (row.current_step is None or definition.step(row.current_step) is not None)
        ]
        signal = MigrateSignal(version=scenario.version, definition=definition)
        await migrate_enrollments(services.temporal, movable, signal)
        answer["migrating"] = len(movable)
    return answer


async def _transition(
    scenario_id: str,
    action: str,
    session: AsyncSession,
    services,
    spread: timedelta | None = None,
) -> Scenario:
    scenario = await _scenario(session, scenario_id)
    was = scenario.status
    try:
        scenario = await scenarios.change_status(session, scenario=scenario, action=action)
    except ValueError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    if action == "activate" and was == "draft":
        await services.changes.scenario_activated(scenario)
    if action == "end":
        await services.changes.scenario_ended(scenario)  # its date schedules stop now
    if action == "activate" and was == "paused":
        action = "resume"  # activating a paused scenario releases its held enrollments
    if action in ("pause", "resume", "end"):
        live = await enrollments.live_for_scenario(session, scenario_id=scenario_id)
        signal = ControlSignal(action=action, seq=scenario.control_seq)
        await control_enrollments(
            services.temporal, [row.id for row in live], signal, spread=spread
        )
    return scenario


def _spread(
    spread: Annotated[
        str,
        Query(
            description="resuming: release held friends over this period (ISO 8601, PT1S–P1D)",
            examples=["PT10M"],
        ),
    ] = DEFAULT_SPREAD,
) -> timedelta:
    try:
        return period_of(spread, timedelta(days=1))
    except ValueError as exc:
        raise unprocessable("spread", str(exc)) from None


Spread = Annotated[timedelta, Depends(_spread)]


@router.post("/{scenario_id}/activate", response_model=ScenarioRef)
async def activate(
    scenario_id: str, session: SessionDep, services: ServicesDep, spread: Spread
) -> Scenario:
    """Start enrolling friends (a paused scenario resumes, spread like `/resume`)."""
    return await _transition(scenario_id, "activate", session, services, spread)


@router.post("/{scenario_id}/pause", response_model=ScenarioRef)
async def pause(scenario_id: str, session: SessionDep, services: ServicesDep) -> Scenario:
    """Hold every enrollment before its next send (nobody is dropped)."""
    return await _transition(scenario_id, "pause", session, services)


@router.post("/{scenario_id}/resume", response_model=ScenarioRef)
async def resume(
    scenario_id: str, session: SessionDep, services: ServicesDep, spread: Spread
) -> Scenario:
    """Let held enrollments continue, released in the order they began over `spread` (default
    five minutes), not all in the same second."""
    return await _transition(scenario_id, "resume", session, services, spread)


@router.post("/{scenario_id}/end", response_model=ScenarioRef)
async def end(scenario_id: str, session: SessionDep, services: ServicesDep) -> Scenario:
    """End the scenario and every running enrollment of it (status `ended`)."""
    return await _transition(scenario_id, "end", session, services)


@router.get("/{scenario_id}/enrollments", response_model=list[EnrollmentPublic])
async def list_enrollments(
    scenario_id: str,
    session: SessionDep,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
) -> list:
    """Enrollments with their current step and next wake-up, newest first."""
    await _scenario(session, scenario_id)
    return await enrollments.list_enrollments(
        session, scenario_id=scenario_id, status=status_, limit=limit, offset=offset
    )


@router.get("/{scenario_id}/impact", response_model=Impact)
async def scenario_impact(
    scenario_id: str,
    session: SessionDep,
    version: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
) -> Impact:
    """Before moving running enrollments to version N (default: the current one): how many
    friends sit on each step of each version, and which of them that version could take."""
    scenario = await _scenario(session, scenario_id)
    wanted = version or scenario.version
    try:
        target = await scenarios.get_definition(session, scenario_id=scenario_id, version=wanted)
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    return await impact(session, scenario_id=scenario_id, target=target, to_version=wanted)


@router.get(
    "/{scenario_id}/stats",
    response_model=stats.ScenarioStats,
    responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV on request"}},
)
async def scenario_stats(
    scenario_id: str,
    session: SessionDep,
    response: Response,
    from_: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    to: Annotated[AwareDatetime | None, Query()] = None,
    format_: Annotated[Literal["json", "csv"] | None, Query(alias="format")] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Any:
    """LINE's two numbers and the rest: per status, per step, per branch, conversions to the
    scenario's goal (SPEC §7). `format=csv` (or `Accept: text/csv`) downloads it as CSV."""
    scenario = await _scenario(session, scenario_id)
    if from_ and to and from_ >= to:
        raise unprocessable("to", "must be after `from`")
    numbers = await stats.scenario_stats(session, scenario=scenario, start=from_, end=to)
    response.headers["Vary"] = "Accept"
    if (format_ or _preferred(accept)) != "csv":
        return numbers
    return stats_download(scenario.id, numbers, Vary="Accept")


def stats_download(scenario_id: str, numbers: stats.ScenarioStats, **headers: str) -> Response:
    """The stats as a CSV file `stats-{scenario_id}.csv` (the API's and the dashboard's)."""
    return Response(
        # with a BOM: Excel then reads the UTF-8 labels (Japanese ones) as UTF-8
        content="\ufeff" + stats.stats_csv(numbers),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="stats-{scenario_id}.csv"',
            **headers,
        },
    )


def _preferred(accept: str | None) -> str:
    """`csv` when the Accept header ranks text/csv above application/json, else `json`."""
    weights: dict[str, float] = {}
    for item in (accept or "").split(","):
        media, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        weights[media.lower()] = max(weights.get(media.lower(), 0.0), quality)
    csv_weight = weights.get("text/csv", 0.0)
    return "csv" if csv_weight > 0 and csv_weight > weights.get("application/json", 0.0) else "json"
