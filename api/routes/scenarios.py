"""Scenarios: definitions, versions, status, enrollments, stats (docs/CONTRACT.md §3)."""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, HTTPException, Query, Response, status
from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from api.deps import Admin, SessionDep
from api.errors import StrictJSONRoute, unprocessable
from api.schemas import EnrollmentPublic
from core.moments import Moment
from scenarios.definition import ScenarioDefinition
from scenarios.runs import Status
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
from store.stats_csv import stats_csv
from store.stats_models import ScenarioStats
from store.tables import Audience, Scenario

router = APIRouter(
    prefix="/scenarios", tags=["scenarios"], dependencies=Admin, route_class=StrictJSONRoute
)
MAX_INT = 2**31 - 1


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


async def checked(
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


async def scenario_or_404(session: AsyncSession, scenario_id: str) -> Scenario:
    scenario = await scenarios.get_scenario(session, scenario_id=scenario_id)
    if scenario is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no scenario {scenario_id!r}")
    return scenario


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ScenarioRef)
async def create_scenario(definition: ScenarioDefinition, session: SessionDep) -> Scenario:
    """Create a scenario (version 1, draft) from a definition."""
    return await scenarios.create_scenario(session, definition=await checked(session, definition))


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
    scenario = await scenario_or_404(session, scenario_id)
    wanted = version or scenario.version
    try:
        definition = await scenarios.get_definition(
            session, scenario_id=scenario_id, version=wanted
        )
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    return {**scenario.model_dump(), "definition": definition.dump(), "definition_version": wanted}


@router.get("/{scenario_id}/enrollments", response_model=list[EnrollmentPublic])
async def list_enrollments(
    scenario_id: str,
    session: SessionDep,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
) -> list:
    """Enrollments with their current step and next wake-up, newest first."""
    await scenario_or_404(session, scenario_id)
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
    scenario = await scenario_or_404(session, scenario_id)
    wanted = version or scenario.version
    try:
        target = await scenarios.get_definition(session, scenario_id=scenario_id, version=wanted)
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    return await impact(session, scenario_id=scenario_id, target=target, to_version=wanted)


@router.get(
    "/{scenario_id}/stats",
    response_model=ScenarioStats,
    responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV on request"}},
)
async def scenario_stats(
    scenario_id: str,
    session: SessionDep,
    response: Response,
    from_: Annotated[Moment | None, Query(alias="from")] = None,
    to: Annotated[Moment | None, Query()] = None,
    format_: Annotated[Literal["json", "csv"] | None, Query(alias="format")] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Any:
    """LINE's two numbers and the rest: per status, per step, per branch, conversions to the
    scenario's goal (docs/CONTRACT.md §7). `format=csv` (or `Accept: text/csv`) downloads it as CSV."""
    scenario = await scenario_or_404(session, scenario_id)
    if from_ and to and from_ >= to:
        raise unprocessable("to", "must be after `from`")
    numbers = await stats.scenario_stats(session, scenario=scenario, start=from_, end=to)
    response.headers["Vary"] = "Accept"
    if (format_ or _preferred(accept)) != "csv":
        return numbers
    return stats_download(scenario.id, numbers, Vary="Accept")


def stats_download(scenario_id: str, numbers: ScenarioStats, **headers: str) -> Response:
    """The stats as a CSV file `stats-{scenario_id}.csv` (the API's and the dashboard's)."""
    return Response(
        # with a BOM: Excel then reads the UTF-8 labels (Japanese ones) as UTF-8
        content="\ufeff" + stats_csv(numbers),
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
