"""Pieces several step kinds (and the triggers, scenarios/trigger.py) are made of: the step id,
a delivery window, a wall clock, a wait's period, a date attribute's offset."""

import re
from datetime import timedelta
from typing import Annotated

from pydantic import AfterValidator, BaseModel, StringConstraints, field_validator, model_validator

from domain.base import MODEL_CONFIG
from domain.dates import parse_offset
from domain.durations import period_of

STEP_ID = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"
MAX_WAIT = timedelta(days=365)
Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class Window(BaseModel):
    """Delivery time window (配信時間帯) in the scenario's timezone; may span midnight."""

    model_config = MODEL_CONFIG
    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise ValueError('must be a 24-hour time "HH:MM", e.g. "10:00"')
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> "Window":
        if self.start == self.end:
            raise ValueError("start and end must differ (an empty window would hold forever)")
        return self


def _wait_period(value: str) -> str:
    period_of(value, MAX_WAIT)
    return value


WaitPeriod = Annotated[str, AfterValidator(_wait_period)]  # PT1S … P365D


def _date_offset(value: str) -> str:
    parse_offset(value)
    return value


DateOffset = Annotated[str, AfterValidator(_date_offset)]  # -P365D … P365D, whole days


def _clock_text(value: str) -> str:
    if not _CLOCK.match(value):
        raise ValueError('must be a 24-hour time "HH:MM", e.g. "10:00"')
    return value


Clock = Annotated[str, AfterValidator(_clock_text)]
