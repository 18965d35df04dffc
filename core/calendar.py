"""The next moment a message may go out: a step's window, the channel's quiet hours, weekends,
public holidays and closed days, all in the scenario's timezone. Pure (no I/O), so it is easy to test."""

from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from core.closed_days import closed_on, parse
from core.windows import in_window, next_clock, next_opening

_MAX_STEPS = 400  # more than a year of skipped days: a policy that never opens is a bug


@lru_cache(maxsize=16)
def _holidays(country: str) -> holidays.HolidayBase:
    return holidays.country_holidays(country)


def next_allowed(
    now: datetime,
    tz: str,
    *,
    window: tuple[str, str] | None = None,
    quiet: tuple[str, str] | None = None,
    skip_weekends: bool = False,
    skip_holidays: bool = False,
    country: str = "JP",
    closed: tuple[str, ...] = (),
) -> datetime:
    """`now` if a message may go out now, else the earliest later moment (UTC). `closed`: the
    channel's closed days (core/closed_days.py), skipped whole like holidays."""
    zone = ZoneInfo(tz)
    closures = tuple(parse(entry) for entry in closed)
    candidate = now.astimezone(UTC)
    for _ in range(_MAX_STEPS):
        local = candidate.astimezone(zone)
        day = local.date()
        if (
            (skip_weekends and day.weekday() >= 5)
            or (skip_holidays and day in _holidays(country))
            or closed_on(day, closures)
        ):
            candidate = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
            candidate = candidate.astimezone(UTC)
        elif window and not in_window(candidate, tz, *window):
            candidate = next_opening(candidate, tz, *window)
        elif quiet and in_window(candidate, tz, *quiet):
            candidate = _leaving(candidate, tz, quiet)
        else:
            return candidate
    raise ValueError("no moment in the next year satisfies the window and the channel policy")


def _leaving(now: datetime, tz: str, quiet: tuple[str, str]) -> datetime:
    """The end of the quiet hours `now` is in."""
    return next_clock(now, tz, quiet[1])
