"""A timeline entry (store/timeline.py, `GET /friends/{user_id}/timeline`) in words."""

import json
from typing import Any

from api.dashboard.web import when

SENDS = {"sent": "sent", "failed": "LINE refused", "unconfirmed": "pushed, unconfirmed",
         "reserved": "pushing"}  # fmt: skip


def _short(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(entry: dict[str, Any]) -> str:
    kind, detail = entry["kind"], entry.get("detail") or {}
    step, reason = entry.get("step_id"), entry.get("reason")
    because = f": {reason}" if reason else ""
    if kind == "follow":
        return "added the account" + (" again, after a block" if detail.get("is_unblocked") else "")
    if kind == "block":
        return "blocked the account"
    if kind == "enrolled":
        return f"enrolled (version {detail.get('version')}, entry {detail.get('entry')})"
    if kind == "step_entered":
        return f"entered step {step}"
    if kind == "held":
        until = f" until {when(entry['until'])}" if entry.get("until") else ""
        return f"held at {step}{because}{until}"
    if kind == "decision":
        inputs = f" (read {_short(detail['inputs'])})" if detail.get("inputs") else ""
        return f"{step} went {entry.get('label') or 'otherwise'}{inputs}"
    if kind in SENDS:
        return f"{SENDS[kind]} {step}{because}"
    if kind == "skipped":
        return f"skipped {step}{because}"
    if kind == "click":
        return f"clicked {detail.get('url') or 'a tracked link'} of {step}"
    if kind == "event":
        properties = f" {_short(detail['properties'])}" if detail.get("properties") else ""
        return f"event {detail.get('name')}{properties}"
    if kind == "enrollment_ended":
        return (
            f"enrollment ended: {entry.get('status')}" + (f" at {step}" if step else "") + because
        )
    return kind
