"""Each friend's chat screen from the emulator's state: the conversation by day, the chat list,
the linked rich menu and quick reply, and the stamp the live poll compares."""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.bubbles import preview, quick_reply_items
from emulator.state import Delivery, EmulatorState, FriendMessage, User


@dataclass
class Entry:
    """One accepted push to this friend: its messages, shown as bubbles when delivered."""

    at: datetime  # local time
    messages: list[dict]
    delivered: bool
    reason: str | None
    from_friend: ClassVar[bool] = False


@dataclass
class Said:
    """What the friend did: a text (typed, a message action, a postback's displayText) drawn as
    their bubble on the right, or a faint note for a postback LINE shows nothing of."""

    at: datetime  # local time
    kind: Literal["message", "postback"]
    text: str | None
    data: str | None
    params: dict[str, str] | None
    from_friend: ClassVar[bool] = True


@dataclass
class Day:
    label: str  # "Today", "Yesterday", "Sat, May 30"
    entries: list[Entry | Said]


@dataclass
class FriendRow:
    user: User
    received: int  # messages delivered (bubbles in the chat)
    undelivered: int  # messages LINE accepted but could not deliver (blocked, not a friend)
    preview: str  # the last delivered message, as the chat list shows it
    last_at: datetime | None  # local time of the last push, delivered or not


# --- the conversation and the chat list ------------------------------------------------------


def zone() -> ZoneInfo:
    """The phone's timezone the chat view shows times in: the channel's (STEPLINE_TIMEZONE,
    which `stepline dev` passes on), Japan's by default; named at the top of the chat."""
    try:
        return ZoneInfo(os.environ.get("STEPLINE_TIMEZONE") or "Asia/Tokyo")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Tokyo")


def zone_name(state: EmulatorState) -> str:
    """The zone as the chat view names it: its abbreviation now, and its IANA name."""
    here = zone()
    return f"{state.now().astimezone(here).strftime('%Z')} ({here.key})"


def conversation(state: EmulatorState, user_id: str) -> list[Day]:
    """One friend's chat: the pushes to them and what they sent, in order, grouped by (local)
    day as LINE does."""
    here = zone()
    today = state.now().astimezone(here).date()
    days: list[Day] = []
    for item in _timeline(state, user_id):
        at = item.at.astimezone(here)
        item.at = at
        label = _day_label(at, today)
        if not days or days[-1].label != label:
            days.append(Day(label, []))
        days[-1].entries.append(item)
    return days


def _timeline(state: EmulatorState, user_id: str) -> list[Entry | Said]:
    """Pushes and the friend's own messages merged: a friend's message sent after n deliveries
    (to anyone) comes before the (n+1)th, whatever the clocks say."""
    keyed: list[tuple[tuple[int, int, int], Entry | Said]] = []
    for index, d in enumerate(state.deliveries):
        if d.to == user_id:
            entry = Entry(d.received_at, d.messages, d.delivered, d.reason)
            keyed.append(((index, 1, 0), entry))
    for index, m in enumerate(state.friend_messages):
        if m.user_id == user_id:
            keyed.append(((m.after, 0, index), _said(m)))
    return [item for _, item in sorted(keyed, key=lambda pair: pair[0])]


def _said(message: FriendMessage) -> Said:
    return Said(message.at, message.kind, message.text, message.data, message.params)


def _day_label(at: datetime, today) -> str:
    if at.date() == today:
        return "Today"
    if at.date() == today - timedelta(days=1):
        return "Yesterday"
    label = f"{at:%a, %b} {at.day}"
    return label if at.year == today.year else f"{label}, {at.year}"


def quick_reply(days: list[Day]) -> list[dict]:
    """The quick-reply buttons on screen: those of the last delivered message, if it has any
    and the friend has not tapped or typed anything since (LINE then hides them)."""
    for day in reversed(days):
        for entry in reversed(day.entries):
            if entry.from_friend:
                return []
            if entry.delivered and entry.messages:
                return quick_reply_items(entry.messages[-1])
    return []


def friend_rows(state: EmulatorState) -> list[FriendRow]:
    """Every user the emulator knows, the newest friend first."""
    pushes: dict[str, list[tuple[int, Delivery]]] = defaultdict(list)
    for index, delivery in enumerate(state.deliveries):
        pushes[delivery.to].append((index, delivery))
    said: dict[str, list[FriendMessage]] = defaultdict(list)
    for message in state.friend_messages:
        said[message.user_id].append(message)
    rows = []
    for user in reversed(state.users.values()):
        mine = pushes.get(user.user_id, [])
        delivered = [(i, m) for i, d in mine if d.delivered for m in d.messages]
        last_said = said.get(user.user_id, [])[-1:]
        shown = "" if not delivered else preview(delivered[-1][1])
        if (
            last_said
            and last_said[0].text
            and (not delivered or last_said[0].after > delivered[-1][0])
        ):
            shown = last_said[0].text.replace("\n", " ")
        times = [d.received_at for _, d in mine[-1:]] + [m.at for m in last_said]
        rows.append(
            FriendRow(
                user=user,
                received=len(delivered),
                undelivered=sum(len(d.messages) for _, d in mine if not d.delivered),
                preview=shown,
                last_at=max(times).astimezone(zone()) if times else None,
            )
        )
    return rows


def _linked_menu(state: EmulatorState, user_id: str) -> tuple[str | None, dict | None]:
    """The ID of the rich menu linked to the friend, and the menu when the emulator has it."""
    links = getattr(state, "rich_menu_links", None)
    if not isinstance(links, dict) or not isinstance(links.get(user_id), str):
        return None, None
    menu_id = links[user_id]
    menus = getattr(state, "rich_menus", None)
    menu = menus.get(menu_id) if isinstance(menus, dict) else None
    return menu_id, menu if isinstance(menu, dict) else None


def rich_menu(state: EmulatorState, user_id: str) -> str | None:
    """The rich menu linked to the friend: its name, else its ID; None when none is linked."""
    menu_id, menu = _linked_menu(state, user_id)
    name = (menu or {}).get("name")
    return str(name) if isinstance(name, str) and name else menu_id


def rich_menu_actions(state: EmulatorState, user_id: str) -> list[dict]:
    """The actions of the linked rich menu's areas, in order: what the friend can tap there."""
    _, menu = _linked_menu(state, user_id)
    areas = (menu or {}).get("areas")
    if not isinstance(areas, list):
        return []
    return [a["action"] for a in areas if isinstance(a, dict) and isinstance(a.get("action"), dict)]


def stamp(state: EmulatorState) -> str:
    """Changes whenever what the chat view shows may have changed."""
    users = [(u.user_id, u.state, u.display_name) for u in state.users.values()]
    links = getattr(state, "rich_menu_links", None)
    seen = repr(
        (
            id(state.deliveries),
            len(state.deliveries),
            id(state.friend_messages),
            len(state.friend_messages),
            users,
            sorted(links.items()) if isinstance(links, dict) else None,
        )
    )
    return hashlib.sha256(seen.encode()).hexdigest()[:16]
