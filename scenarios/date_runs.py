"""What crosses the Temporal boundary for dates: a date trigger's schedule for one friend
(workflows/date_trigger.py), its firing, and a friend's date attribute read or signalled to
an enrollment waiting until it (workflows/steps/wait.py)."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from scenarios.runs import Signal


class DateTriggerInput(BaseModel):
    """A date-triggered scenario's schedule for one friend (workflows/date_trigger.py)."""

    scenario_id: str
    user_id: str
    attribute: str
    offset: str
    at: str
    timezone: str
    yearly: bool = False
    value: Any = None  # the friend's date attribute as last known
    value_at: datetime | None = None  # when it was read (a staler signal changes nothing)
    after: datetime | None = None  # the last moment it fired: the next one comes after it


class DateChanged(Signal):
    """A friend's date attribute as it is now (None: removed), read at `at`."""

    attribute: str
    value: Any = None
    at: datetime


class DateFire(BaseModel):
    scenario_id: str
    user_id: str
    due: datetime  # the moment the friend's date came


class DateFireResult(BaseModel):
    enrollment_id: str | None = None  # None: not enrolled (see reason)
    reason: str | None = None
    stop: bool = False  # the scenario takes no date enrollments any more: the schedule ends
    # the trigger and the friend's date as they are now: the schedule goes on from them
    reschedule: DateTriggerInput | None = None
    # they no longer give `due` (a change whose signal was lost, a new version of the
    # scenario): nobody enrolled, the schedule moves
    moved: bool = False


class FriendDateRequest(BaseModel):
    user_id: str
    attribute: str
