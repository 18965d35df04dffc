"""Branch conditions (SPEC §3.1): plain pydantic data, evaluated against the store by an activity."""

from typing import Annotated, Any, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

# shared by every definition model: strict fields, immutable, aliases (`in`, `not`) both ways
MODEL_CONFIG = ConfigDict(
    extra="forbid",
    frozen=True,
    validate_by_name=True,
    validate_by_alias=True,
    serialize_by_alias=True,
)
_OPERATORS = ("equals", "in_", "not_in", "between", "gte", "lte", "exists")

Scalar = str | int | float | bool


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
        custom_error_message="must be one of {attribute…}, {audience}, {tag}, {all}, {any}, {not}",
    ),
]

for _cls in (AllCondition, AnyCondition, NotCondition):
    _cls.model_rebuild()


def audiences_named(condition: BaseModel, path: str = "") -> list[tuple[str, str]]:
    """(path inside the condition, audience id) for every audience a condition refers to
    (for validation against the store), e.g. (".any[1].not", "aud_…")."""
    match condition:
        case AudienceCondition(audience=audience):
            return [(path, audience)]
        case AllCondition(all=parts):
            return [
                a for i, part in enumerate(parts) for a in audiences_named(part, f"{path}.all[{i}]")
            ]
        case AnyCondition(any=parts):
            return [
                a for i, part in enumerate(parts) for a in audiences_named(part, f"{path}.any[{i}]")
            ]
        case NotCondition(not_=inner):
            return audiences_named(inner, f"{path}.not")
    return []
