"""Comparisons that forgive how a value arrived (a CSV gives "27" and "true")."""

from typing import Any


def number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def same(actual: Any, expected: Any) -> bool:
    """Equality that forgives how a value arrived (CSV gives "27" and "true")."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return str(actual).lower() == str(expected).lower()
    if isinstance(expected, int | float) or isinstance(actual, int | float):
        left, right = number(actual), number(expected)
        return left is not None and left == right
    return actual == expected


def properties_match(wanted: dict[str, Any] | None, actual: dict[str, Any]) -> bool:
    """Every wanted property is present and equal (an event's or a trigger's properties)."""
    return all(key in actual and same(actual[key], value) for key, value in (wanted or {}).items())
