"""Audiences (docs/CONTRACT.md §5): the six kinds, their sizes, and members of upload audiences."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Admin, SessionDep
from api.errors import StrictJSONRoute
from api.schemas import OperationPublic, operation_ref
from app import audiences
from app.audience_kinds import AudienceIn
from domain.ids import UserId

router = APIRouter(
    prefix="/audiences", tags=["audiences"], dependencies=Admin, route_class=StrictJSONRoute
)


class MembersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not ignored
    user_ids: list[UserId] = Field(min_length=1, max_length=100_000)


class AudienceRef(BaseModel):
    id: str
    operation: OperationPublic | None = None  # members given: what they mean for journeys


class AudiencePublic(BaseModel):
    id: str
    name: str
    kind: str
    params: dict[str, Any]
    size: int  # members at the moment asked
    created_at: datetime


class AudienceUpdated(AudiencePublic):
    operation: OperationPublic


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AudienceRef,
    response_model_exclude_none=True,
)
async def create_audience(body: AudienceIn, session: SessionDep) -> AudienceRef:
    """Create an audience of one of the six kinds (docs/CONTRACT.md §5); `upload` takes its members as
    `user_ids`, the others are computed from our data whenever they are asked about."""
    audience, operation = await audiences.create(session, body)
    return AudienceRef(
        id=audience.id, operation=operation_ref(operation) if operation is not None else None
    )


@router.get("", response_model=list[AudiencePublic])
async def list_audiences(session: SessionDep) -> list[dict]:
    """Every audience with its size now."""
    return await audiences.listed(session)


@router.get("/{audience_id}", response_model=AudiencePublic)
async def read_audience(audience_id: str, session: SessionDep) -> dict:
    """One audience with its size now."""
    return await audiences.read(session, audience_id)


@router.put(
    "/{audience_id}/members",
    response_model=AudienceUpdated,
    status_code=status.HTTP_202_ACCEPTED,
)
async def add_members(audience_id: str, body: MembersIn, session: SessionDep) -> dict:
    """Add user IDs to an upload audience (already present ones are kept once). Answered at
    once (202): what it means for journeys (audience triggers, exits, branches waiting on
    it) is worked out in the background, followed as the answer's `operation`."""
    _, operation = await audiences.add_members(session, audience_id, body.user_ids)
    answer = await audiences.read(session, audience_id)
    return {**answer, "operation": operation_ref(operation)}
