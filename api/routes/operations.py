"""Bulk operations (a scenario paused for 100,000 friends, a large upload): each answers at
once with 202 and its operation, followed here until it is done."""

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status

from api.deps import Admin, SessionDep
from api.schemas import OperationPublic, operation_ref
from store import operations

router = APIRouter(prefix="/operations", tags=["operations"], dependencies=Admin)


@router.get("", response_model=list[OperationPublic])
async def list_operations(
    session: SessionDep,
    scenario_id: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[dict[str, Any]]:
    """The newest operations (of one scenario, with `scenario_id`); those under way first
    when no scenario is given."""
    if scenario_id:
        found = await operations.of_scenario(session, scenario_id, limit=limit)
    else:
        found = await operations.running(session, limit=limit) or await operations.latest(
            session, limit=limit
        )
    return [operation_ref(operation) for operation in found]


@router.get("/{operation_id}", response_model=OperationPublic)
async def read_operation(operation_id: str, session: SessionDep) -> dict[str, Any]:
    """How far the operation has got."""
    operation = await operations.get(session, operation_id)
    if operation is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no operation {operation_id!r}")
    return operation_ref(operation)
