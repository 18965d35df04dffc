"""Branch conditions (docs/CONTRACT.md §3.1): plain pydantic data, evaluated against the store by an activity."""

import re
import unicodedata
from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    SerializerFunctionWrapHandler,
    Tag,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from scenarios.values import properties_match

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


# --- keywords: what a friend's text message is compared by ---------------------------------

MAX_KEYWORD = 100  # characters of one keyword
MAX_KEYWORDS = 50  # keywords of one trigger
MAX_WORDS = 100  # words of one message kept in its event's `keywords`
MAX_POSTBACK_DATA = 300  # LINE's own limit on a postback action's data
_SPACES = re.compile(r"\s+")
KeywordMatch = Literal["contains", "exact"]


def normalise(text: str) -> str:
    """How messages and keywords are compared: NFKC (full-width ＡＢＣ１２３ and half-width
    ｸｰﾎﾟﾝ become ABC123 and クーポン), case folded, runs of spaces made one, trimmed."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return _SPACES.sub(" ", folded).strip()


def _separator(char: str) -> bool:
    # punctuation (ASCII and Japanese: 、。「」・…), symbols (~ ♪ ★ emoji) and spaces;
    # ー (the long vowel mark) is a letter and stays inside its word
    return char.isspace() or unicodedata.category(char)[0] in "PSZC"


def keywords_of(text: str) -> list[str]:
    """A text message's `keywords`: the whole text normalised, then each of its words (split
    on spaces, punctuation and symbols), each once, at most MAX_WORDS of them."""
    whole = normalise(text)
    words = "".join(" " if _separator(char) else char for char in whole).split()
    return list(dict.fromkeys([whole, *words]))[: MAX_WORDS + 1] if whole else []


def keyword_matches(keyword: str, text: str, match: KeywordMatch | None = None) -> bool:
    """Both normalised: the text contains the keyword (`contains`, the default), or is the
    keyword and nothing more (`exact`)."""
    wanted, said = normalise(keyword), normalise(text)
    return said == wanted if match == "exact" else bool(wanted) and wanted in said


def _keyword(value: str) -> str:
    if len(value) > MAX_KEYWORD:
        raise ValueError(f"a keyword must be at most {MAX_KEYWORD} characters (got {len(value)})")
    if not normalise(value):
        raise ValueError("a keyword must not be empty or only spaces")
    return value


Keyword = Annotated[str, AfterValidator(_keyword)]


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
