"""Bulk operations (a scenario paused for 100,000 friends, a large upload): each answers at
once with 202 and its operation, followed here until it is done."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field

from api.deps import Admin, SessionDep
from store import operations
from store.pipeline_tables import Operation

router = APIRouter(prefix="/operations", tags=["operations"], dependencies=Admin)


class OperationPublic(BaseModel):
    id: str
    scenario_id: str | None = None
    action: str = Field(
        description="pause, resume, end, migrate (a scenario's running enrollments), dates, "
        "end_dates (its friends' date schedules), audience, import (friends' data)"
    )
    status: str = Field(description="queued, running, done, or superseded (a newer one won)")
    total: int = Field(description="enrollments or friends it is to reach (as counted at first)")
    done: int
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    last_error: str | None = Field(None, description="why its last step failed (tried again)")
    url: str


def operation_ref(operation: Operation) -> dict[str, Any]:
    return {**operation.model_dump(), "url": f"/operations/{operation.id}"}


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
