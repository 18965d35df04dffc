"""ISO-8601 durations as a definition writes them (PT30S, P1D, P1DT12H)."""

from datetime import timedelta

from pydantic import TypeAdapter

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
