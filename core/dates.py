"""Date journeys' arithmetic: when (a friend's date attribute + an offset) comes, at a wall
clock time in the scenario's timezone. Pure and deterministic (no I/O, no clock of its own):
the workflows import it through `imports_passed_through()`, as they do core.windows.

- A date attribute is an ISO date ("1990-12-08") or an ISO datetime (its own date is taken,
  "2026-12-08T23:30:00+09:00" → 2026-12-08); anything else is no date (None).
- An offset is a whole number of days or weeks, signed: "-P7D", "P3D", "P0D", "-P1W"
  (at most 365 days either way; domain/dates.py reads it).
- `yearly`: the date's month and day every year (a birthday); a Feb 29 date falls on Feb 28
  in years without one. The offset may cross a year: Jan 3 with -P7D is Dec 27 before it.
- `at` is read as core.windows reads clocks: a time that a DST change skips is the moment the
  clock jumps past it; one read twice is the first reading.
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.windows import next_clock
from domain.dates import parse_offset


def parse_date(value: Any) -> date | None:
    """A friend's date attribute as a date, or None when it holds no usable date."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text).date()
    except ValueError:
        return None


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _in_year(day: date, year: int) -> date:
    """The same month and day in `year` (Feb 29 → Feb 28 in a year without it)."""
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


def moment_of(day: date, offset_days: int, at: str, tz: str) -> datetime:
    """The UTC moment the wall clock in `tz` reads `at` on `day` + offset."""
    target = day + timedelta(days=offset_days)
    # an hour before that day's midnight, so that the first reading of `at` on it is next
    before = datetime.combine(target, time(0), tzinfo=ZoneInfo(tz)).astimezone(UTC)
    return next_clock(before - timedelta(hours=1), tz, at)


def next_occurrence(
    value: Any,
    offset: str,
    at: str,
    tz: str,
    *,
    yearly: bool,
    after: datetime,
) -> datetime | None:
    """The first moment strictly after `after` at which (date + offset, at `at`) comes, in
    UTC; None when `value` holds no date, or (not yearly) that moment has passed."""
    day = parse_date(value)
    if day is None:
        return None
    days = parse_offset(offset)
    _clock(at)
    if not yearly:
        moment = moment_of(day, days, at, tz)
        return moment if moment > after else None
    local_year = after.astimezone(ZoneInfo(tz)).year
    for year in range(local_year - 1, local_year + 3):
        moment = moment_of(_in_year(day, year), days, at, tz)
        if moment > after:
            return moment
    raise AssertionError("unreachable: an offset of at most a year comes within three")
