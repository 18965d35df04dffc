"""Friends: state, attributes, tags, add route and enrollments (docs/CONTRACT.md §3, §5)."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.deps import Admin, ServicesDep, SessionDep
from api.errors import StrictJSONRoute
from api.explain import explained
from api.schemas import EnrollmentExplained, EnrollmentPublic, FriendTimeline
from app import friends
from app.friend_values import AttributeValue, Name
from app.timeline import friend_timeline
from domain.ids import USER_ID_PATTERN
from domain.moments import Moment

router = APIRouter(
    prefix="/friends", tags=["friends"], dependencies=Admin, route_class=StrictJSONRoute
)

UserIdPath = Annotated[str, Path(pattern=USER_ID_PATTERN, description="LINE user ID, U + 32 hex")]


class FriendPublic(BaseModel):
    user_id: str
    following: bool
    epoch: int
    followed_at: datetime | None
    blocked_at: datetime | None
    route: str
    display_name: str | None  # from LINE's profile, refreshed on follow
    language: str | None
    picture_url: str | None
    attributes: dict[str, Any]
    tags: list[str]
    enrollments: list[EnrollmentPublic]


class FriendDetail(FriendPublic):
    enrollments: list[EnrollmentExplained]  # each with why it is where it is


class TagsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not ignored
    tags: list[Name] = Field(min_length=1, max_length=100)


class RouteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not ignored
    route: Annotated[
        str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$")
    ]


@router.get("/{user_id}", response_model=FriendDetail)
async def read_friend(user_id: UserIdPath, session: SessionDep, services: ServicesDep) -> dict:
    """Follow state, attributes, tags and enrollments of one friend. Each enrollment carries
    `explain`: why it is where it is — status, step, when it entered it, next wake-up, hold
    reason, error, its last branch/wait_for/split decision with the facts it read, and its
    deliveries. A running enrollment is read from its workflow's `status` query (`source:
    workflow`); when Temporal does not answer within 2 s it is read from the store (`source:
    store`, `source_note` says why). A `failed` one can be retried with `POST
    /enrollments/{id}/retry`."""
    view = await friends.profile(session, user_id)
    view["enrollments"] = await explained(session, services.temporal, view["enrollments"])
    return view


@router.get(
    "/{user_id}/timeline",
    response_model=FriendTimeline,
    responses={404: {"description": "no such friend"}},
)
async def read_timeline(
    user_id: UserIdPath,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=5000, description="the newest entries kept")] = 500,
    before: Annotated[
        Moment | None,
        Query(description="only entries at or before this moment: the next older page"),
    ] = None,
) -> dict[str, Any]:
    """What happened to one friend, oldest first: follows and blocks, enrollments begun and
    ended, each step entered, held (with the reason and until when), sent, failed or skipped,
    branch decisions with the facts they read, tracked-link clicks and events. `now`: each
    running enrollment's state from its workflow's `status` query (`source: workflow`), or
    from the store when Temporal does not answer within 2 s (`source_note` says why); a live
    hold is an entry too. At most `limit` entries, the newest (`truncated` says so); for the
    ones before them, ask again with `before` = the oldest entry's `at`."""
    return await friend_timeline(
        services.db, services.temporal, user_id, limit=limit, before=before
    )


@router.put("/{user_id}/attributes", response_model=FriendPublic)
async def merge_attributes(
    user_id: UserIdPath,
    session: SessionDep,
    attributes: Annotated[
        dict[Name, AttributeValue],
        Body(
            examples=[{"gender": "female", "age": 27, "area": "tokyo", "os": "ios", "plan": "gold"}]
        ),
    ],
) -> dict[str, Any]:
    """Merge attributes into the friend's profile; `null` removes one."""
    await friends.merge_attributes(session, user_id, attributes)
    return await friends.profile(session, user_id)


@router.post("/{user_id}/tags", response_model=FriendPublic)
async def add_tags(user_id: UserIdPath, body: TagsIn, session: SessionDep) -> dict[str, Any]:
    """Add chat tags (exits, wait_fors and audience triggers see them at once)."""
    await friends.add_tags(session, user_id, body.tags)
    return await friends.profile(session, user_id)


@router.delete("/{user_id}/tags/{tag}", response_model=FriendPublic)
async def remove_tag(user_id: UserIdPath, tag: str, session: SessionDep) -> dict[str, Any]:
    """Remove a chat tag."""
    await friends.remove_tag(session, user_id, tag)
    return await friends.profile(session, user_id)


@router.put("/{user_id}/route", response_model=FriendPublic)
async def set_route(user_id: UserIdPath, body: RouteIn, session: SessionDep) -> dict[str, Any]:
    """Record the add route (追加経路) of a friend, before or after the follow."""
    await friends.set_route(session, user_id, body.route)
    return await friends.profile(session, user_id)
