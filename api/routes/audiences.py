"""Audiences (docs/CONTRACT.md §5): the six kinds, their sizes, and members of upload audiences."""

import math
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, Union

from fastapi import APIRouter, HTTPException, status
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError
from sqlmodel.ext.asyncio.session import AsyncSession

from api.deps import Admin, SessionDep
from api.errors import StrictJSONRoute, unprocessable
from api.schemas import OperationPublic, operation_ref
from domain.durations import period_of
from domain.ids import UserId
from store import audiences, scenarios
from store.tables import Audience
from store.types import utcnow
from triggers import record

router = APIRouter(
    prefix="/audiences", tags=["audiences"], dependencies=Admin, route_class=StrictJSONRoute
)

_STRICT = ConfigDict(extra="forbid")  # a misspelt field is an error, not ignored
_TIMEDELTA = TypeAdapter(timedelta)

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
ScenarioId = Annotated[str, StringConstraints(min_length=1, max_length=32)]
StepId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
TagName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
RouteName = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$")
]
EventName = Annotated[str, StringConstraints(min_length=1, max_length=100)]


def _period(text: str) -> str:
    """A valid `within`, written the one way (P1W and P7D are both stored as P7D)."""
    return _TIMEDELTA.dump_python(period_of(text), mode="json")


Within = Annotated[str, AfterValidator(_period)]


def _scalar(value: Any) -> Any:
    # one clear error per property, instead of one per member of the union below
    if isinstance(value, str | int | bool):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    raise PydanticCustomError("property_value", "must be a string, a finite number, true or false")


PropertyValue = Annotated[str | int | float | bool, BeforeValidator(_scalar)]


class _AudienceIn(BaseModel):
    model_config = _STRICT
    name: Name

    def params(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"name", "kind", "user_ids"})


class UploadAudienceIn(_AudienceIn):
    """Friends listed by user ID; more can be added with `PUT /audiences/{id}/members`."""

    kind: Literal["upload"]
    user_ids: list[UserId] = Field(default_factory=list, max_length=100_000)


class ClickedAudienceIn(_AudienceIn):
    """Friends who clicked a tracked link (of that scenario, of that step of it) within the
    period (omitted: ever)."""

    kind: Literal["clicked"]
    scenario: ScenarioId | None = None
    step: StepId | None = None
    within: Within | None = None

    @model_validator(mode="after")
    def _step_needs_scenario(self) -> "ClickedAudienceIn":
        if self.step is not None and self.scenario is None:
            # reported at `scenario` (a ValidationError raised here keeps its location)
            raise ValidationError.from_exception_data(
                type(self).__name__,
                [
                    InitErrorDetails(
                        type=PydanticCustomError(
                            "missing", "required with step (step ids belong to a scenario)"
                        ),
                        loc=("scenario",),
                        input=None,
                    )
                ],
            )
        return self


class DeliveredAudienceIn(_AudienceIn):
    """Friends who were sent that message step of that scenario within the period."""

    kind: Literal["delivered"]
    scenario: ScenarioId
    step: StepId
    within: Within | None = None


class TagAudienceIn(_AudienceIn):
    kind: Literal["tag"]
    tag: TagName


class RouteAudienceIn(_AudienceIn):
    """Friends who added the account through that route (`unknown` when none was recorded)."""

    kind: Literal["route"]
    route: RouteName


class EventAudienceIn(_AudienceIn):
    """Friends with an event of that name (every given property equal) within the period."""

    kind: Literal["event"]
    event: EventName
    properties: dict[
        Annotated[str, StringConstraints(min_length=1, max_length=100)], PropertyValue
    ] = Field(default_factory=dict, max_length=20)
    within: Within | None = None


_BODIES: dict[str, type[_AudienceIn]] = {
    "upload": UploadAudienceIn,
    "clicked": ClickedAudienceIn,
    "delivered": DeliveredAudienceIn,
    "tag": TagAudienceIn,
    "route": RouteAudienceIn,
    "event": EventAudienceIn,
}


def _tag(value: Any) -> str | None:
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return f"{kind} audience" if isinstance(kind, str) and kind in _BODIES else None


def _known_kind(value: Any) -> Any:
    """A missing or unknown `kind` is reported at `kind` (a ValidationError raised here keeps
    its location; the union's own error would be at the body)."""
    if not isinstance(value, dict):
        raise PydanticCustomError("model_type", "must be a JSON object")
    if _tag(value) is None:
        error = (
            PydanticCustomError("missing", "Field required")
            if "kind" not in value
            else PydanticCustomError("audience_kind", f"must be one of {', '.join(_BODIES)}")
        )
        raise ValidationError.from_exception_data(
            "AudienceIn", [InitErrorDetails(type=error, loc=("kind",), input=value.get("kind"))]
        )
    return value


# A callable discriminator whose tags are not keys of a body: error locations then name the
# body's own fields (`within`, not `event.within`, and `route`, not `route.route`).
AudienceIn = Annotated[
    Union[tuple(Annotated[cls, Tag(f"{kind} audience")] for kind, cls in _BODIES.items())],  # noqa: UP007
    Discriminator(_tag),
    BeforeValidator(_known_kind),
]


class MembersIn(BaseModel):
    model_config = _STRICT
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


async def _check_references(session: AsyncSession, body: _AudienceIn) -> None:
    scenario_id, step = getattr(body, "scenario", None), getattr(body, "step", None)
    if scenario_id is None:
        return
    if await scenarios.get_scenario(session, scenario_id=scenario_id) is None:
        raise unprocessable("scenario", f"unknown scenario {scenario_id!r}", "unknown_scenario")
    if step is not None and step not in await audiences.message_step_ids(
        session, scenario_id=scenario_id
    ):
        raise unprocessable(
            "step", f"scenario {scenario_id!r} has no message step {step!r}", "unknown_step"
        )


async def _audience(session: AsyncSession, audience_id: str) -> Audience:
    audience = await audiences.get_audience(session, audience_id=audience_id)
    if audience is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no audience {audience_id!r}")
    return audience


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AudienceRef,
    response_model_exclude_none=True,
)
async def create_audience(body: AudienceIn, session: SessionDep) -> AudienceRef:
    """Create an audience of one of the six kinds (docs/CONTRACT.md §5); `upload` takes its members as
    `user_ids`, the others are computed from our data whenever they are asked about."""
    await _check_references(session, body)
    user_ids = list(dict.fromkeys(getattr(body, "user_ids", [])))
    # its members' journeys may change (exits, audience triggers): in the same transaction
    operation = record.bulk_change(session, user_ids, reason="audience") if user_ids else None
    audience = await audiences.create_audience(
        session, name=body.name, kind=body.kind, params=body.params(), user_ids=user_ids
    )  # commits
    return AudienceRef(
        id=audience.id, operation=operation_ref(operation) if operation is not None else None
    )


@router.get("", response_model=list[AudiencePublic])
async def list_audiences(session: SessionDep) -> list[dict]:
    """Every audience with its size now."""
    return await audiences.list_with_sizes(session, at=utcnow())


@router.get("/{audience_id}", response_model=AudiencePublic)
async def read_audience(audience_id: str, session: SessionDep) -> dict:
    """One audience with its size now."""
    audience = await _audience(session, audience_id)
    return await audiences.with_size(session, audience=audience, at=utcnow())


@router.put(
    "/{audience_id}/members",
    response_model=AudienceUpdated,
    status_code=status.HTTP_202_ACCEPTED,
)
async def add_members(audience_id: str, body: MembersIn, session: SessionDep) -> dict:
    """Add user IDs to an upload audience (already present ones are kept once). Answered at
    once (202): what it means for journeys (audience triggers, exits, branches waiting on
    it) is worked out in the background, followed as the answer's `operation`."""
    audience = await _audience(session, audience_id)
    if audience.kind != "upload":
        raise HTTPException(status.HTTP_409_CONFLICT, detail="only upload audiences take members")
    user_ids = list(dict.fromkeys(body.user_ids))
    operation = record.bulk_change(session, user_ids, reason="audience")
    await audiences.add_members(session, audience_id=audience_id, user_ids=user_ids)  # commits
    answer = await audiences.with_size(session, audience=audience, at=utcnow())
    return {**answer, "operation": operation_ref(operation)}
