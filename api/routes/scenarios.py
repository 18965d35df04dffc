"""Scenarios: definitions, versions, status, enrollments, stats (docs/CONTRACT.md §3)."""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response, status

from api.deps import Admin, ServicesDep, SessionDep
from api.downloads import csv_download
from api.errors import StrictJSONRoute, unprocessable
from api.schemas import EnrollmentPublic, ScenarioWarned
from app import lifecycle, overlaps
from app import stats as stats_service
from domain.moments import Moment
from domain.statuses import Status
from scenarios.definition import ScenarioDefinition
from store import enrollments, scenarios
from store.impact import Impact, impact
from store.stats_models import ScenarioStats

router = APIRouter(
    prefix="/scenarios", tags=["scenarios"], dependencies=Admin, route_class=StrictJSONRoute
)
MAX_INT = 2**31 - 1


class ScenarioPublic(ScenarioWarned):
    name: str
    trigger_type: str
    delivery_cap: int | None
    sent_count: int
    created_at: datetime
    updated_at: datetime


class ScenarioDetail(ScenarioPublic):
    definition: dict[str, Any]
    definition_version: int


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ScenarioWarned)
async def create_scenario(
    definition: ScenarioDefinition, session: SessionDep, services: ServicesDep
) -> dict[str, Any]:
    """Create a scenario (version 1, draft) from a definition. `warnings`: the active follow
    scenarios it would take the same new friends as, once activated."""
    scenario = await lifecycle.create(session, services.definitions, definition)
    return {**scenario.model_dump(), "warnings": await overlaps.of_scenario(session, scenario)}


@router.get("", response_model=list[ScenarioPublic])
async def list_scenarios(session: SessionDep) -> list[dict[str, Any]]:
    """Every scenario with its current version and status; `warnings` on each follow scenario
    that takes the same new friends as another (active or paused ones only)."""
    found = await overlaps.everywhere(session)
    return [
        {
            **scenario.model_dump(),
            "warnings": [w for w in found if scenario.id in {s["id"] for s in w["scenarios"]}],
        }
        for scenario in await scenarios.list_scenarios(session)
    ]


@router.get("/{scenario_id}", response_model=ScenarioDetail)
async def read_scenario(
    scenario_id: str,
    session: SessionDep,
    version: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
) -> dict[str, Any]:
    """A scenario and its definition (the current version, or `?version=N`); `warnings`:
    the follow scenarios taking new friends it overlaps with (a draft: once activated)."""
    scenario = await lifecycle.find(session, scenario_id)
    definition = await lifecycle.definition_of(session, scenario, version)
    return {
        **scenario.model_dump(),
        "definition": definition.dump(),
        "definition_version": version or scenario.version,
        "warnings": await overlaps.of_scenario(session, scenario),
    }


@router.get("/{scenario_id}/enrollments", response_model=list[EnrollmentPublic])
async def list_enrollments(
    scenario_id: str,
    session: SessionDep,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
) -> list:
    """Enrollments with their current step and next wake-up, newest first."""
    await lifecycle.find(session, scenario_id)
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
    scenario = await lifecycle.find(session, scenario_id)
    target = await lifecycle.definition_of(session, scenario, version)
    wanted = version or scenario.version
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
    scenario = await lifecycle.find(session, scenario_id)
    if from_ and to and from_ >= to:
        raise unprocessable("to", "must be after `from`")
    numbers = await stats_service.numbers(session, scenario, start=from_, end=to)
    response.headers["Vary"] = "Accept"
    if (format_ or _preferred(accept)) != "csv":
        return numbers
    return csv_download(stats_service.csv_file(scenario.id, numbers), Vary="Accept")


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
