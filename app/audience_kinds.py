"""What `POST /audiences` takes, kind by kind (docs/CONTRACT.md §5), strict: the admin API's
body and the dashboard's form are checked by the same models, with the same messages."""

import math
from datetime import timedelta
from typing import Annotated, Any, Literal, Union

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

from domain.durations import period_of
from domain.ids import UserId

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


class AudienceBody(BaseModel):
    model_config = _STRICT
    name: Name

    def params(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"name", "kind", "user_ids"})


class UploadAudienceIn(AudienceBody):
    """Friends listed by user ID; more can be added with `PUT /audiences/{id}/members`."""

    kind: Literal["upload"]
    user_ids: list[UserId] = Field(default_factory=list, max_length=100_000)


class ClickedAudienceIn(AudienceBody):
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


class DeliveredAudienceIn(AudienceBody):
    """Friends who were sent that message step of that scenario within the period."""

    kind: Literal["delivered"]
    scenario: ScenarioId
    step: StepId
    within: Within | None = None


class TagAudienceIn(AudienceBody):
    kind: Literal["tag"]
    tag: TagName


class RouteAudienceIn(AudienceBody):
    """Friends who added the account through that route (`unknown` when none was recorded)."""

    kind: Literal["route"]
    route: RouteName


class EventAudienceIn(AudienceBody):
    """Friends with an event of that name (every given property equal) within the period."""

    kind: Literal["event"]
    event: EventName
    properties: dict[
        Annotated[str, StringConstraints(min_length=1, max_length=100)], PropertyValue
    ] = Field(default_factory=dict, max_length=20)
    within: Within | None = None


BODIES: dict[str, type[AudienceBody]] = {
    "upload": UploadAudienceIn,
    "clicked": ClickedAudienceIn,
    "delivered": DeliveredAudienceIn,
    "tag": TagAudienceIn,
    "route": RouteAudienceIn,
    "event": EventAudienceIn,
}


def _tag(value: Any) -> str | None:
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return f"{kind} audience" if isinstance(kind, str) and kind in BODIES else None


def _known_kind(value: Any) -> Any:
    """A missing or unknown `kind` is reported at `kind` (a ValidationError raised here keeps
    its location; the union's own error would be at the body)."""
    if not isinstance(value, dict):
        raise PydanticCustomError("model_type", "must be a JSON object")
    if _tag(value) is None:
        error = (
            PydanticCustomError("missing", "Field required")
            if "kind" not in value
            else PydanticCustomError("audience_kind", f"must be one of {', '.join(BODIES)}")
        )
        raise ValidationError.from_exception_data(
            "AudienceIn", [InitErrorDetails(type=error, loc=("kind",), input=value.get("kind"))]
        )
    return value


# A callable discriminator whose tags are not keys of a body: error locations then name the
# body's own fields (`within`, not `event.within`, and `route`, not `route.route`).
AudienceIn = Annotated[
    Union[tuple(Annotated[cls, Tag(f"{kind} audience")] for kind, cls in BODIES.items())],  # noqa: UP007
    Discriminator(_tag),
    BeforeValidator(_known_kind),
]


AUDIENCE = TypeAdapter(AudienceIn)
