"""An EmulatorState as plain JSON and back: everything it remembers except the rate limit's
one-second windows and the reply tokens (which live a minute: a restart may forget them)."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from datetime import datetime
from typing import Any

from emulator.state import (
    AcceptedRequest,
    Delivery,
    EmulatorState,
    Fault,
    FriendMessage,
    LoginCode,
    User,
)

VERSION = 1


def snapshot(state: EmulatorState) -> dict[str, Any]:
    """What `restore` needs to bring `state` back, as JSON-ready values."""
    return {
        "version": VERSION,
        "users": [asdict(user) for user in state.users.values()],  # in the order they came
        "deliveries": [delivery.to_json() for delivery in state.deliveries],
        "friend_messages": [message.to_json() for message in state.friend_messages],
        "retry_keys": {key: asdict(accepted) for key, accepted in state.retry_keys.items()},
        "faults": [fault.to_json() for fault in state.faults],
        "quota": {
            "monthly_quota": state.monthly_quota,
            "configured": state.config.monthly_quota,  # the setting it started with
            "consumption": state._consumption,
            "month": list(state._quota_month),
        },
        "calls": dict(state.calls),
        "conflicts": dict(state.conflicts),
        "login_codes": {code: asdict(grant) for code, grant in state.login_codes.items()},
        "coupons": state.coupons,
        "rich_menus": state.rich_menus,
        "rich_menu_links": state.rich_menu_links,
        "names": sorted(state.names),
    }


def restore(state: EmulatorState, data: dict[str, Any]) -> None:
    """Replace `state`'s memory with a snapshot's; ValueError (state reset) if it is not one."""
    try:
        _restore(state, data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        state.reset()
        raise ValueError(f"not an emulator state: {type(exc).__name__}: {exc}") from exc


def _restore(state: EmulatorState, data: dict[str, Any]) -> None:
    if data.get("version") != VERSION:
        raise ValueError(f"version {data.get('version')!r}, expected {VERSION}")
    state.reset()
    for user in data["users"]:
        state.users[user["user_id"]] = User(**user)
    state.deliveries = [
        Delivery(**(d | {"received_at": datetime.fromisoformat(d["received_at"]), "via": _via(d)}))
        for d in data["deliveries"]
    ]
    state.friend_messages = [
        FriendMessage(**(m | {"at": datetime.fromisoformat(m["at"])}))
        for m in data["friend_messages"]
    ]
    state.retry_keys = {k: AcceptedRequest(**v) for k, v in data["retry_keys"].items()}
    state.faults = [Fault(**(f | {"endpoints": tuple(f["endpoints"])})) for f in data["faults"]]
    quota = data["quota"]
    if quota["configured"] == state.config.monthly_quota:  # else the new setting wins
        state.monthly_quota = _optional_int(quota["monthly_quota"])
    year, month = quota["month"]
    state._quota_month, state._consumption = (int(year), int(month)), int(quota["consumption"])
    state.calls = Counter({str(k): int(v) for k, v in data["calls"].items()})
    state.conflicts = Counter({str(k): int(v) for k, v in data["conflicts"].items()})
    state.login_codes = {k: LoginCode(**v) for k, v in data["login_codes"].items()}
    state.coupons = _mapping(data["coupons"])
    state.rich_menus = _mapping(data["rich_menus"])
    state.rich_menu_links = {str(k): str(v) for k, v in data["rich_menu_links"].items()}
    state.names = {str(name) for name in data["names"]} | {
        user.display_name for user in state.users.values()
    }


def _via(delivery: dict) -> str:
    """How a delivery was sent: "push" in files from before the reply API."""
    via = delivery.get("via", "push")
    if via not in ("push", "reply"):
        raise ValueError(f"a delivery via {via!r}")
    return via


def _optional_int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]


def _mapping(value: object) -> dict:
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise ValueError("expected an object of objects")
    return dict(value)
