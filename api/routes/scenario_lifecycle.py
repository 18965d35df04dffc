"""A scenario's versions and status, and the operations that carry each change to its
enrollments (triggers/lifecycle.py): answered at once, 202 while the work goes on."""

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status

from api.deps import Admin, ServicesDep, SessionDep
from api.errors import StrictJSONRoute, unprocessable
from api.schemas import OperationPublic, ScenarioWarned, operation_ref
from app import lifecycle, overlaps
from domain.durations import period_of
from scenarios.definition import ScenarioDefinition
from store import operations
from triggers.lifecycle import Changed

router = APIRouter(
    prefix="/scenarios", tags=["scenarios"], dependencies=Admin, route_class=StrictJSONRoute
)
DEFAULT_SPREAD = "PT5M"


class ScenarioChanged(ScenarioWarned):
    # what carries the change to every enrollment (or friend), done in the background
    operation: OperationPublic | None = None
    operations: list[OperationPublic] | None = None


class VersionRef(ScenarioChanged):
    migrating: int | None = None  # with ?migrate=true: enrollments told to move to it
    unchanged: bool = False  # the definition was the current version's: no new version


async def _answer(session: SessionDep, changed: Changed, response: Response) -> dict[str, Any]:
    """The scenario as it is now, with its operations (202 when there is work under way) and
    the follow scenarios it takes the same new friends as."""
    refs = [operation_ref(operation) for operation in changed.operations]
    if changed.operations:
        response.status_code = status.HTTP_202_ACCEPTED
    return {
        **changed.scenario.model_dump(),
        "operation": refs[-1] if refs else None,
        "operations": refs if len(refs) > 1 else None,  # an end of a date scenario: two
        "warnings": await overlaps.of_scenario(session, changed.scenario),
    }


@router.put(
    "/{scenario_id}",
    response_model=VersionRef,
    response_model_exclude_none=True,
    responses={
        200: {"description": "a new version, or `unchanged: true`: the current one kept"},
        202: {"description": "a new version (or a migration); its operations carry it on"},
    },
)
async def update_scenario(
    scenario_id: str,
    definition: ScenarioDefinition,
    session: SessionDep,
    response: Response,
    migrate: Annotated[
        bool, Query(description="move running enrollments to it at their next step")
    ] = False,
) -> dict[str, Any]:
    """A new version. Running enrollments keep the version they started on, unless
    `migrate=true`: then those whose current step exists in the new version move to it once
    that step is done (see `GET /scenarios/{id}/impact` first); the others finish on theirs.
    The move (and, for an active date-triggered scenario, every friend's schedule) is done
    in the background: 202 with its `operation`. A definition equal to the current version's
    makes no version: 200 with the current one and `unchanged: true` (with `migrate=true`,
    the enrollments on older versions move to it)."""
    changed = await lifecycle.new_version(session, scenario_id, definition, migrate=migrate)
    answer = await _answer(session, changed, response) | {"unchanged": changed.unchanged}
    if migrate:
        answer["migrating"] = next(
            (op.total for op in changed.operations if op.action == "migrate"), 0
        )
    return answer


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
ACCEPTED = {202: {"description": "changed; its operation carries it to every enrollment"}}
CHANGED = {"response_model": ScenarioChanged, "response_model_exclude_none": True}


@router.post("/{scenario_id}/activate", responses=ACCEPTED, **CHANGED)
async def activate(
    scenario_id: str, session: SessionDep, services: ServicesDep, response: Response, spread: Spread
) -> dict[str, Any]:
    """Start enrolling friends (a paused scenario resumes, spread like `/resume`; a
    date-triggered one schedules every friend's date: 202 with the `operation`)."""
    changed = await lifecycle.transition(
        session, services.definitions, scenario_id, "activate", spread=spread
    )
    return await _answer(session, changed, response)


@router.post(
    "/{scenario_id}/pause", status_code=status.HTTP_202_ACCEPTED, responses=ACCEPTED, **CHANGED
)
async def pause(
    scenario_id: str, session: SessionDep, services: ServicesDep, response: Response
) -> dict[str, Any]:
    """Hold every enrollment before its next send (nobody is dropped). Answered at once: no
    push goes out from now on, and the `operation` tells every enrollment in the background
    (`GET /operations/{id}`)."""
    changed = await lifecycle.transition(session, services.definitions, scenario_id, "pause")
    return await _answer(session, changed, response)


@router.post(
    "/{scenario_id}/resume", status_code=status.HTTP_202_ACCEPTED, responses=ACCEPTED, **CHANGED
)
async def resume(
    scenario_id: str, session: SessionDep, services: ServicesDep, response: Response, spread: Spread
) -> dict[str, Any]:
    """Let held enrollments continue, released in the order they began over `spread` (default
    five minutes), not all in the same second; in the background (the `operation`)."""
    changed = await lifecycle.transition(
        session, services.definitions, scenario_id, "resume", spread=spread
    )
    return await _answer(session, changed, response)


@router.post(
    "/{scenario_id}/end", status_code=status.HTTP_202_ACCEPTED, responses=ACCEPTED, **CHANGED
)
async def end(
    scenario_id: str, session: SessionDep, services: ServicesDep, response: Response
) -> dict[str, Any]:
    """End the scenario and every running enrollment of it (status `ended`): nothing is
    pushed from now on, and the `operation` ends every enrollment in the background."""
    changed = await lifecycle.transition(session, services.definitions, scenario_id, "end")
    return await _answer(session, changed, response)


@router.get("/{scenario_id}/operations", response_model=list[OperationPublic])
async def scenario_operations(
    scenario_id: str,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[dict[str, Any]]:
    """The scenario's bulk operations (pause, resume, end, migrate, dates), newest first."""
    await lifecycle.find(session, scenario_id)
    return [
        operation_ref(operation)
        for operation in await operations.of_scenario(session, scenario_id, limit=limit)
    ]
