"""Delivery-window arithmetic in a scenario's timezone. Pure and deterministic: the workflow
imports it through `imports_passed_through()` because zoneinfo math fails inside the sandbox."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def in_window(now: datetime, tz: str, start: str, end: str) -> bool:
    local = now.astimezone(ZoneInfo(tz)).time()
    opens, closes = _clock(start), _clock(end)
    if opens < closes:
        return opens <= local < closes
    return local >= opens or local < closes  # spans midnight, e.g. 22:00–02:00


def next_opening(now: datetime, tz: str, start: str, end: str) -> datetime:
    """`now` when it is inside the window, otherwise the next moment the window opens (UTC)."""
    if in_window(now, tz, start, end):
        return now.astimezone(UTC)
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    opens = _clock(start)
    day = local.date() if local.time() < opens else local.date() + timedelta(days=1)
    return datetime.combine(day, opens, tzinfo=zone).astimezone(UTC)


def local_text(when: datetime, tz: str) -> str:
    return when.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")
