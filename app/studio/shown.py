"""A draft's values as the studio's fields show them: lists as comma-separated words, maps as
`name=value` lines, JSON pretty; whatever was typed and could not be read, as it was typed."""

import json
from typing import Any

from app.studio.edits import steps_in

KINDS = ("attribute", "tag", "audience", "event", "clicked", "all", "any", "not")


def value(given: Any, kind: str) -> str:
    if given is None or type(given).__name__ in ("Undefined", "StrictUndefined"):
        return ""
    if isinstance(given, str):
        return given
    if kind in ("list", "scalars") and isinstance(given, list):
        return ", ".join(_scalar(item) for item in given)
    if kind in ("map", "attrs") and isinstance(given, dict):
        return "\n".join(f"{key}={_scalar(item)}" for key, item in given.items())
    if kind == "json":
        return json.dumps(given, ensure_ascii=False, indent=1)
    return _scalar(given)


def _scalar(given: Any) -> str:
    if isinstance(given, bool):
        return "true" if given else "false"
    return (
        str(given)
        if isinstance(given, int | float | str)
        else json.dumps(given, ensure_ascii=False)
    )


def keys(options: list[Any]) -> list[Any]:
    return [option if isinstance(option, str) else option[0] for option in options]


def condition_kind(condition: Any) -> str | None:
    if not isinstance(condition, dict):
        return None
    return next((kind for kind in KINDS if kind in condition), None)


def message_step_ids(document: Any) -> list[str]:
    return [step["id"] for step in steps_in(document) if step["type"] == "message"]
