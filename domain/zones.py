"""Timezones as the scenarios and the settings name them: IANA names zoneinfo knows."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def known_zone(value: str) -> str:
    """`value` if zoneinfo knows it; else ValueError saying what is expected."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA timezone {value!r} (e.g. Asia/Tokyo)") from None
    return value
