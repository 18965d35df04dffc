"""Closed days: dates on which the channel sends nothing (a year-end closure, a shop's day
off), written as an operator would: `2026-12-31` one day, `2026-12-29/2027-01-03` a range
(both ends included), `12-31` or `12-29/01-03` the same days every year (a range may run over
the year's end). Pure, so the channel policy (scenarios/policy.py) checks them and the
calendar (core/calendar.py) skips them."""

import re
from dataclasses import dataclass
from datetime import date

MAX_DAYS = 366  # a range longer than a year is a typing mistake, not a closure
_DATED = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_YEARLY = re.compile(r"^[0-9]{2}-[0-9]{2}$")
FORMS = "YYYY-MM-DD, MM-DD (every year), or a range of either: 2026-12-29/2027-01-03, 12-29/01-03"


@dataclass(frozen=True)
class Closed:
    """One entry: dated (`yearly` False: years included) or every year ((month, day) pairs)."""

    start: tuple[int, int, int]
    end: tuple[int, int, int]
    yearly: bool

    def covers(self, day: date) -> bool:
        if not self.yearly:
            return date(*self.start) <= day <= date(*self.end)
        here, start, end = (day.month, day.day), self.start[1:], self.end[1:]
        return start <= here <= end if start <= end else here >= start or here <= end


def parse(entry: str) -> Closed:
    """The entry, or ValueError saying what is wrong with it."""
    first, sep, last = entry.strip().partition("/")
    last = last if sep else first
    kinds = {_kind(first), _kind(last)}
    if kinds == {"dated"}:
        start, end = _date(first), _date(last)
        if end < start:
            raise ValueError(f"{entry!r} ends before it starts")
        if (end - start).days >= MAX_DAYS:
            raise ValueError(f"{entry!r} is longer than a year")
        return Closed(_triple(start), _triple(end), yearly=False)
    if kinds == {"yearly"}:
        return Closed((0, *_month_day(first)), (0, *_month_day(last)), yearly=True)
    raise ValueError(f"{entry!r} is not a closed day: write {FORMS}")


def closed_on(day: date, closed: tuple[Closed, ...]) -> bool:
    return any(entry.covers(day) for entry in closed)


def _kind(text: str) -> str | None:
    if _DATED.match(text):
        return "dated"
    return "yearly" if _YEARLY.match(text) else None


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date") from None


def _month_day(text: str) -> tuple[int, int]:
    month, day = int(text[:2]), int(text[3:])
    try:
        date(2024, month, day)  # a leap year: 02-29 is a day
    except ValueError:
        raise ValueError(f"{text!r} is not a day of the year (MM-DD)") from None
    return month, day


def _triple(day: date) -> tuple[int, int, int]:
    return day.year, day.month, day.day
