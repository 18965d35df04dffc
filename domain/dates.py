"""A date journey's offset from a friend's date attribute: a whole number of days or weeks,
signed ("-P7D", "P3D", "P0D", "-P1W"), at most 365 days either way. The arithmetic of when
it comes is core/dates.py's."""

import re

MAX_OFFSET_DAYS = 365
_OFFSET = re.compile(r"^(-)?P(?:(\d{1,3})W)?(?:(\d{1,3})D)?$")
_OFFSET_HELP = 'must be a signed whole number of days or weeks, e.g. "-P7D", "P3D", "P0D"'


def parse_offset(text: str) -> int:
    """The offset in days (negative: before the date). ValueError for anything else."""
    found = _OFFSET.match(text) if isinstance(text, str) else None
    if not found or (found.group(2) is None and found.group(3) is None):
        raise ValueError(_OFFSET_HELP)
    days = int(found.group(2) or 0) * 7 + int(found.group(3) or 0)
    if days > MAX_OFFSET_DAYS:
        raise ValueError(f"must be at most {MAX_OFFSET_DAYS} days (P{MAX_OFFSET_DAYS}D) either way")
    return -days if found.group(1) else days


def date_words(attribute: str, offset: str, at: str) -> str:
    """`point_expiry − 3 days at 10:00`, for the Temporal UI and the dashboard."""
    days = parse_offset(offset)
    if days == 0:
        return f"{attribute} at {at}"
    sign = "−" if days < 0 else "+"
    return f"{attribute} {sign} {abs(days)} day{'s' if abs(days) != 1 else ''} at {at}"
