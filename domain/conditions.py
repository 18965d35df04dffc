"""Conditions (docs/CONTRACT.md §3.1): a branch's `when`, a wait_for's `until`, a scenario's
`exit`. Plain pydantic data, evaluated against the store by an activity (store/conditions.py)."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated, Any, Union

from pydantic import (
    BaseModel,
    Discriminator,
    Field,
    SerializerFunctionWrapHandler,
    Tag,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from domain.base import MODEL_CONFIG, Scalar
from domain.durations import period_of
from domain.keywords import Keyword, KeywordMatch, keyword_matches
from domain.values import properties_match

_OPERATORS = ("equals", "in_", "not_in", "between", "gte", "lte", "exists")
MAX_POSTBACK_DATA = 300  # LINE's own limit on a postback action's data


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
    step began in `wait_for.until`.

    For the friend's own messages and taps (recorded from LINE's webhooks): `{event: message,
    keyword: クーポン}` — a text message that contains the keyword (`match: exact`: that is
    the keyword), compared normalised (see `normalise`); `{event: postback, data: …}` — a
    postback whose data is exactly that."""

    model_config = MODEL_CONFIG
    event: str = Field(min_length=1, max_length=100)
    within: str | None = None
    properties: dict[str, Scalar] | None = None
    keyword: Keyword | None = None
    match: KeywordMatch | None = None  # with `keyword`; None: contains
    data: str | None = Field(None, min_length=1, max_length=MAX_POSTBACK_DATA)

    @field_validator("keyword")
    @classmethod
    def _of_messages(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("event", "message") != "message":
            raise ValueError("`keyword` is for `event: message` (a text message)")
        return value

    @field_validator("match")
    @classmethod
    def _with_keyword(cls, value: str | None, info: ValidationInfo) -> str | None:
        # a keyword given but refused is reported on its own
        if value is not None and info.data.get("keyword", "refused") is None:
            raise ValueError("`match` needs a `keyword`")
        return value

    @field_validator("data")
    @classmethod
    def _of_postbacks(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("event", "postback") != "postback":
            raise ValueError("`data` is for `event: postback` (its exact postback data)")
        return value

    @model_serializer(mode="wrap")
    def _without_unused(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # conditions without them serialize as they always have: what a worker of an earlier
        # version reads in an enrollment's input stays as it was
        data = handler(self)
        for name in ("keyword", "match", "data"):
            if name in data and data[name] is None:
                del data[name]
        return data

    def matches(self, properties: dict[str, Any]) -> bool:
        """Whether a recorded event of this name (with these properties) is one it asks for."""
        if not properties_match(self.properties, properties):
            return False
        if self.data is not None and properties.get("data") != self.data:
            return False
        if self.keyword is None:
            return True
        text = properties.get("text")
        return isinstance(text, str) and keyword_matches(self.keyword, text, self.match)

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
