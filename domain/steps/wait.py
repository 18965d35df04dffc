"""`wait`: for a `duration`, or `until` a moment or a friend's date attribute."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AwareDatetime,
    BaseModel,
    Discriminator,
    SerializerFunctionWrapHandler,
    Tag,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from domain.base import MODEL_CONFIG
from domain.dates import date_words
from domain.durations import parse_duration
from domain.steps.base import StepKind
from domain.steps.parts import Clock, DateOffset, Name, WaitPeriod

_MOMENT = "must be an ISO-8601 date and time with its UTC offset, e.g. 2026-12-24T10:00:00+09:00"


def _moment(value: Any, handler: ValidatorFunctionWrapHandler) -> datetime:
    """An aware datetime, written as ISO-8601 text (a bare number would be read as Unix
    seconds, a time without an offset would mean a different moment in every timezone)."""
    if isinstance(value, bool | int | float):
        raise PydanticCustomError("wait_until", _MOMENT)
    try:
        moment = handler(value)
    except ValidationError as exc:
        if any(error["type"] == "timezone_aware" for error in exc.errors()):
            raise PydanticCustomError(
                "wait_until_naive",
                "has no UTC offset, so it is a different moment in every timezone: "
                "write one, e.g. 2026-12-24T10:00:00+09:00 (or Z for UTC)",
            ) from None
        raise PydanticCustomError("wait_until", _MOMENT) from None
    try:
        moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+09:00 is before the first UTC moment
        raise PydanticCustomError("wait_until", "is out of range") from None
    return moment


WaitMoment = Annotated[AwareDatetime, WrapValidator(_moment)]


class DateUntil(BaseModel):
    """A wait's end read from the friend's date attribute: (date + `offset`) at `at` in the
    scenario's timezone (core/dates.py). A friend without a usable date, or whose moment has
    passed, goes on at once; a change of the attribute mid-wait moves the wake."""

    model_config = MODEL_CONFIG
    attribute: Name
    offset: DateOffset = "P0D"
    at: Clock = "10:00"


def _until_form(value: Any) -> str:
    return "date" if isinstance(value, dict | DateUntil) else "moment"


WaitUntil = Annotated[
    Union[Annotated[WaitMoment, Tag("moment")], Annotated[DateUntil, Tag("date")]],  # noqa: UP007
    Discriminator(_until_form),
]


class WaitStep(StepKind):
    """Wait for a `duration` (P1D: from the moment the step is reached) or `until` a moment
    (2026-12-24T10:00:00+09:00: the same for every friend; one already past does not wait)."""

    type: Literal["wait"]
    duration: WaitPeriod | None = None
    until: WaitUntil | None = None  # a moment, or a date attribute's (see DateUntil)

    @model_validator(mode="after")
    def _one_form(self) -> "WaitStep":
        if self.duration is None and self.until is None:
            raise ValueError(
                "a wait needs `duration` (e.g. P1D) or `until` (e.g. 2026-12-24T10:00:00+09:00)"
            )
        if self.duration is not None and self.until is not None:
            raise ValueError("a wait takes `duration` or `until`, not both")
        return self

    @model_serializer(mode="wrap")
    def _without_the_other_form(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # a duration wait serializes as it always has (no `until: null`): what a worker of an
        # earlier version reads in an enrollment's input, and the stored definitions, stay as
        # they were
        data = handler(self)
        for name in ("duration", "until"):
            if name in data and data[name] is None:
                del data[name]
        return data

    @property
    def delta(self) -> timedelta | None:
        """The duration; None for an `until` wait, whose length depends on when it starts."""
        return None if self.duration is None else parse_duration(self.duration)

    def wake(self, now: datetime) -> datetime:
        """When a friend who reaches this step at `now` goes on (UTC); `now` itself for an
        `until` already past."""
        if self.until is None:
            assert self.duration is not None
            return now + parse_duration(self.duration)
        if isinstance(self.until, DateUntil):  # the friend's date: read by the workflow
            return now
        return max(now, self.until.astimezone(UTC))

    def words(self) -> str:
        if self.duration:
            return f"wait {self.duration}"
        if isinstance(self.until, DateUntil):
            return f"until {date_words(self.until.attribute, self.until.offset, self.until.at)}"
        assert self.until is not None
        return f"until {self.until.isoformat()}"
