"""Words for the Temporal UI: timer and activity summaries, current details."""

from datetime import timedelta

_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def duration_words(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    parts = []
    for name, size in _UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {name}{'s' if count > 1 else ''}")
    return " ".join(parts[:2]) or "0 seconds"


def condition_words(condition: object) -> str:
    """A condition in a few words: `event purchase`, `tag vip`, `any of 2`."""
    data = condition.model_dump(by_alias=True, exclude_none=True)  # type: ignore[attr-defined]
    kind = next(iter(data))
    value = data[kind]
    if kind in ("all", "any"):
        return f"{kind} of {len(value)}"
    if kind == "not":
        return "not …"
    return f"{kind} {value}"
