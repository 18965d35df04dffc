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
    return next_clock(now, tz, start)


def next_clock(now: datetime, tz: str, clock: str) -> datetime:
    """The first moment after `now` at which the wall clock reaches `clock` (UTC). Clocks that
    go back read a time twice (the later reading counts once the first has passed); clocks that
    go forward may skip it (then the moment the wall clock jumps past it)."""
    zone = ZoneInfo(tz)
    wanted = _clock(clock)
    day = now.astimezone(zone).date() - timedelta(days=1)
    for _ in range(3):
        day += timedelta(days=1)
        found = _reading(day, wanted, zone)
        later = [moment for moment in found if moment > now]
        if later:
            return min(later)
    raise AssertionError("unreachable: a wall clock reads every time within two days")


def _reading(day, wanted: time, zone: ZoneInfo) -> list[datetime]:
    """The UTC moments at which the wall clock of `day` reads `wanted`; in a skipped hour, the
    moment it jumps past it."""
    moments = {
        datetime.combine(day, wanted, tzinfo=zone).replace(fold=f).astimezone(UTC) for f in (0, 1)
    }
    real = [m for m in moments if m.astimezone(zone).replace(tzinfo=None).time() == wanted]
    if real:
        return real
    low, high = min(moments), max(moments)  # the gap: find where the clock jumps past `wanted`
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        local = middle.astimezone(zone)
        if local.date() > day or (local.date() == day and local.time() >= wanted):
            high = middle
        else:
            low = middle
    return [high.replace(microsecond=0)]


def local_text(when: datetime, tz: str) -> str:
    return when.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")


def local_moment(when: datetime, tz: str) -> str:
    """To the second, in `tz`, its zone named: what a person reads (dashboard, CLI, chat)."""
    return when.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S %Z")
