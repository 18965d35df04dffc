"""Branch conditions (SPEC §3.1): plain pydantic data, evaluated against the store by an activity."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated, Any, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    field_validator,
    model_validator,
)

# shared by every definition model: strict fields, immutable, aliases (`in`, `not`) both ways,
# finite numbers (infinity, from YAML's .inf, could be neither stored as JSON nor sent back)
MODEL_CONFIG = ConfigDict(
    extra="forbid",
    frozen=True,
    allow_inf_nan=False,
    validate_by_name=True,
    validate_by_alias=True,
    serialize_by_alias=True,
)
_OPERATORS = ("equals", "in_", "not_in", "between", "gte", "lte", "exists")

Scalar = str | int | float | bool
_TIMEDELTA = TypeAdapter(timedelta)
MAX_PERIOD = timedelta(days=3650)


def parse_duration(text: str) -> timedelta:
    """ISO-8601 duration in weeks, days, hours, minutes, seconds (months and years are calendar
    dependent, so a scenario says P30D rather than P1M)."""
    date_part = text.split("T", 1)[0]
    if not text.startswith("P") or "Y" in date_part or "M" in date_part:
        raise ValueError("must be an ISO-8601 duration such as PT30S, PT2H, P1D or P1DT12H")
    try:
        return _TIMEDELTA.validate_python(text)
    except ValueError:
        raise ValueError(
            "must be an ISO-8601 duration such as PT30S, PT2H, P1D or P1DT12H"
        ) from None


def period_of(text: str, longest: timedelta = MAX_PERIOD) -> timedelta:
    delta = parse_duration(text)
    if not timedelta(seconds=1) <= delta <= longest:
        raise ValueError(
            f"must be between 1 second (PT1S) and {longest.days} days (P{longest.days}D)"
        )
    return delta


class AttributeCondition(BaseModel):
    model_config = MODEL_CONFIG
    attribute: str = Field(min_length=1, max_length=100)
    equals: Scalar | None = None
    in_: list[Scalar] | None = Field(None, alias="in", min_length=1)
    not_in: list[Scalar] | None = Field(None, min_length=1)
    between: tuple[float, float] | None = None
    gte: float | None = None
    lte: float | None = None
    exists: bool | None = None

    @field_validator("between")
    @classmethod
    def _ordered(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and value[0] > value[1]:
            raise ValueError("between needs [low, high] with low <= high")
        return value

    @model_validator(mode="after")
    def _one_operator(self) -> "AttributeCondition":
        given = [name.rstrip("_") for name in _OPERATORS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                "needs exactly one of equals, in, not_in, between, gte, lte, exists"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self


class AudienceCondition(BaseModel):
    model_config = MODEL_CONFIG
    audience: str = Field(min_length=1)


class TagCondition(BaseModel):
    model_config = MODEL_CONFIG
    tag: str = Field(min_length=1, max_length=100)


class EventCondition(BaseModel):
    """The friend has an event of that name (with these properties). Within `within` of the
    moment asked; without it: ever in a branch, since the enrollment began in `exit`, since the
    step began in `wait_for.until`."""

    model_config = MODEL_CONFIG
    event: str = Field(min_length=1, max_length=100)
    within: str | None = None
    properties: dict[str, Scalar] | None = None

    @field_validator("within")
    @classmethod
    def _period(cls, value: str | None) -> str | None:
        if value is not None:
            period_of(value)
        return value

    @property
    def period(self) -> timedelta | None:
        return period_of(self.within) if self.within else None


class ClickedCondition(BaseModel):
    """This enrollment clicked a tracked link of that message step."""

    model_config = MODEL_CONFIG
    clicked: str = Field(min_length=1, max_length=64)


class AllCondition(BaseModel):
    model_config = MODEL_CONFIG
    all: list["Condition"] = Field(min_length=1)


class AnyCondition(BaseModel):
    model_config = MODEL_CONFIG
    any: list["Condition"] = Field(min_length=1)


class NotCondition(BaseModel):
    model_config = MODEL_CONFIG
    not_: "Condition" = Field(alias="not")


_KINDS: dict[str, type[BaseModel]] = {
    "attribute": AttributeCondition,
    "audience": AudienceCondition,
    "tag": TagCondition,
    "event": EventCondition,
    "clicked": ClickedCondition,
    "all": AllCondition,
    "any": AnyCondition,
    "not": NotCondition,
}


def condition_kind(value: Any) -> str | None:
    """The kind of a condition (a document dict or a model): its union tag."""
    if isinstance(value, dict):
        return next((key for key in _KINDS if key in value), None)
    return next((key for key, cls in _KINDS.items() if isinstance(value, cls)), None)


Condition = Annotated[
    Union[tuple(Annotated[cls, Tag(key)] for key, cls in _KINDS.items())],  # noqa: UP007
    Discriminator(
        condition_kind,
        custom_error_type="unknown_condition",
        custom_error_message="must be one of {attribute…}, {audience}, {tag}, {event}, {clicked}, {all}, {any}, {not}",
    ),
]

for _cls in (AllCondition, AnyCondition, NotCondition):
    _cls.model_rebuild()


def leaves(condition: BaseModel, path: str = "") -> Iterator[tuple[str, BaseModel]]:
    """(path inside the condition, leaf) for every non-composite condition, e.g.
    (".any[1].not", AudienceCondition(...))."""
    match condition:
        case AllCondition(all=parts):
            for i, part in enumerate(parts):
                yield from leaves(part, f"{path}.all[{i}]")
        case AnyCondition(any=parts):
            for i, part in enumerate(parts):
                yield from leaves(part, f"{path}.any[{i}]")
        case NotCondition(not_=inner):
            yield from leaves(inner, f"{path}.not")
        case _:
            yield path, condition


def audiences_named(condition: BaseModel, path: str = "") -> list[tuple[str, str]]:
    """(path inside the condition, audience id) for every audience a condition refers to."""
    return [
        (where, leaf.audience)
        for where, leaf in leaves(condition, path)
        if isinstance(leaf, AudienceCondition)
    ]
