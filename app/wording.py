"""A timeline entry (`GET /friends/{user_id}/timeline`, store/timeline.py) in words: one
wording for the dashboard's friend page and `stepline friend show`. Where the step has a
column of its own (the CLI's table) the words leave it out; a moment is written by the
caller's `clock` (the dashboard's UTC, the terminal's local time)."""

import json
from collections.abc import Callable
from typing import Any

SENDS = {"sent": "sent", "failed": "LINE refused", "unconfirmed": "pushed, unconfirmed",
         "reserved": "pushing"}  # fmt: skip
LIMIT = 120  # characters of the facts or properties shown


def compact(value: Any, limit: int = LIMIT) -> str:
    """A JSON value as short text: strings as they are, the rest as compact JSON."""
    text = (
        value
        if isinstance(value, str)
        else json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    )
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(
    entry: dict[str, Any], *, clock: Callable[[Any], str], step_shown: bool = False
) -> str:
    """The entry in words. `step_shown`: the step is shown beside them (not named here)."""
    kind, detail = entry["kind"], entry.get("detail") or {}
    step = None if step_shown else entry.get("step_id")
    reason = entry.get("reason")
    because = f": {reason}" if reason else ""
    if kind == "follow":
        return (
            "added the account"
            + (" again, after a block" if detail.get("is_unblocked") else "")
            + (" (no webhook on record)" if detail.get("source") == "friend" else "")
        )
    if kind == "block":
        return "blocked the account"
    if kind == "enrolled":
        entry_no = detail.get("entry") or 1
        return f"enrolled (version {detail.get('version')}" + (
            f", entry {entry_no})" if entry_no > 1 else ")"
        )
    if kind == "step_entered":
        return "entered" + (f" step {step}" if step else "")
    if kind == "held":
        until = f" until {clock(entry['until'])}" if entry.get("until") else ""
        live = " (now)" if detail.get("live") else ""
        where = f" at {step}" if step else ""
        return f"held{where}: {reason or 'channel policy'}{until}{live}"
    if kind == "decision":
        inputs = f" {compact(detail['inputs'])}" if detail.get("inputs") else ""
        label = entry.get("label") or "otherwise"
        return (f"{step} went {label}" if step else f"→ {label}") + inputs
    if kind in SENDS or kind == "skipped":
        request = f" (request {detail['request_id']})" if detail.get("request_id") else ""
        said = SENDS.get(kind, kind)
        return said + (f" {step}" if step else "") + because + request
    if kind == "click":
        return f"clicked {detail.get('url') or 'a tracked link'}" + (f" of {step}" if step else "")
    if kind == "event":
        properties = f" {compact(detail['properties'])}" if detail.get("properties") else ""
        return f"event {detail.get('name')}{properties}"
    if kind == "enrollment_ended":
        return (
            f"enrollment ended: {entry.get('status')}" + (f" at {step}" if step else "") + because
        )
    return reason or kind
