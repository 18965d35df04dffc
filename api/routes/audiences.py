"""Audiences (SPEC §5). This version builds `upload` audiences (user-ID lists)."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.deps import Admin, SessionDep
from api.errors import StrictJSONRoute
from core.ids import UserId
from store import audiences

router = APIRouter(
    prefix="/audiences", tags=["audiences"], dependencies=Admin, route_class=StrictJSONRoute
)


class UploadAudienceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not ignored
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    kind: Literal["upload"]
    user_ids: list[UserId] = Field(default_factory=list, max_length=100_000)


class MembersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not ignored
    user_ids: list[UserId] = Field(min_length=1, max_length=100_000)


class AudienceRef(BaseModel):
    id: str


class AudiencePublic(AudienceRef):
    name: str
    kind: str
    size: int
    created_at: datetime


@router.post("", status_code=status.HTTP_201_CREATED, response_model=AudienceRef)
async def create_audience(body: UploadAudienceIn, session: SessionDep) -> AudienceRef:
    """Create an audience; `upload` takes its members as `user_ids`."""
    audience = await audiences.create_upload(session, name=body.name, user_ids=body.user_ids)
    return AudienceRef(id=audience.id)


@router.get("", response_model=list[AudiencePublic])
async def list_audiences(session: SessionDep) -> list[dict]:
    """Every audience with its size."""
    return await audiences.list_with_sizes(session)


@router.put("/{audience_id}/members", response_model=AudiencePublic)
async def add_members(audience_id: str, body: MembersIn, session: SessionDep) -> dict:
    """Add user IDs to an upload audience (already present ones are kept once)."""
    audience = await audiences.get_audience(session, audience_id=audience_id)
    if audience is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no audience {audience_id!r}")
    if audience.kind != "upload":
        raise HTTPException(status.HTTP_409_CONFLICT, detail="only upload audiences take members")
    await audiences.add_members(session, audience_id=audience_id, user_ids=body.user_ids)
    return await audiences.with_size(session, audience=audience)
