"""What enrols a friend into a scenario (a definition's `trigger`, docs/CONTRACT.md §3.1)."""

from datetime import datetime
from typing import Annotated, Literal, Union

from pydantic import BaseModel, Field, model_validator

from domain.base import MODEL_CONFIG, Scalar
from domain.keywords import MAX_KEYWORDS, Keyword, KeywordMatch, keyword_matches
from domain.moments import Moment
from domain.steps.parts import Clock, DateOffset, Name


class FollowTrigger(BaseModel):
    """Enrol a friend when they add the account (LINE's 友だち追加 start condition)."""

    model_config = MODEL_CONFIG
    type: Literal["follow"]
    routes: list[str] | None = Field(None, min_length=1)
    added_from: Moment | None = None
    added_until: Moment | None = None

    @model_validator(mode="after")
    def _ordered(self) -> "FollowTrigger":
        if self.added_from and self.added_until and self.added_from >= self.added_until:
            raise ValueError("added_from must be before added_until")
        return self

    def admits(self, *, route: str, added_at: datetime) -> bool:
        if self.routes is not None and route not in self.routes:
            return False
        if self.added_from and added_at < self.added_from:
            return False
        return not (self.added_until and added_at >= self.added_until)


class EventTrigger(BaseModel):
    """Enrol a friend when an event of that name (with these properties) is recorded."""

    model_config = MODEL_CONFIG
    type: Literal["event"]
    event: str = Field(min_length=1, max_length=100)
    properties: dict[str, Scalar] | None = None


class KeywordTrigger(BaseModel):
    """Enrol a friend who sends a text message with one of the keywords (LINE's キーワード応答):
    that contains it (`match: contains`, the default) or is it and nothing more (`exact`),
    compared normalised (full-width/half-width, case and spaces do not matter)."""

    model_config = MODEL_CONFIG
    type: Literal["keyword"]
    keywords: list[Keyword] = Field(min_length=1, max_length=MAX_KEYWORDS)
    match: KeywordMatch = "contains"

    def matches(self, text: str) -> bool:
        return any(keyword_matches(keyword, text, self.match) for keyword in self.keywords)


class AudienceTrigger(BaseModel):
    """Enrol a friend when they enter the audience (after the scenario is activated)."""

    model_config = MODEL_CONFIG
    type: Literal["audience"]
    audience: str = Field(min_length=1)


class DateTrigger(BaseModel):
    """Enrol each friend when (their date attribute + `offset`) comes, at `at` in the
    scenario's timezone; `yearly`: every year on its month and day (a birthday). A friend
    without a usable date is not enrolled; a corrected date moves what was scheduled."""

    model_config = MODEL_CONFIG
    type: Literal["date"]
    attribute: Name
    offset: DateOffset = "P0D"
    at: Clock = "10:00"
    yearly: bool = False


Trigger = Annotated[
    Union[FollowTrigger, EventTrigger, KeywordTrigger, AudienceTrigger, DateTrigger],  # noqa: UP007
    Field(discriminator="type"),
]
