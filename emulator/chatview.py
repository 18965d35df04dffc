"""What each friend's LINE app shows of the pushes the emulator accepted: pure functions that
shape deliveries and message objects for the chat view's templates (emulator/templates)."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar, Literal
from urllib.parse import urlsplit

from emulator.state import Delivery, EmulatorState, FriendMessage, User

LINK = re.compile(r"https?://[^\s<>\"'\u3000]+")
PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z0-9_]+)\}")  # textV2: {key}; {{ and }} are braces
PREVIEWS = {
    "sticker": "Sent a sticker",
    "image": "Sent a photo",
    "video": "Sent a video",
    "audio": "Sent a voice message",
    "location": "Sent a location",
    "coupon": "Sent a coupon",
}
BUBBLE_PARTS = ("header", "hero", "body", "footer")  # a flex bubble's blocks, top to bottom


@dataclass(frozen=True)
class Segment:
    """A piece of a text bubble: plain text, a link, a LINE emoji or a mention."""

    kind: Literal["text", "link", "emoji", "mention"]
    text: str  # the text; the URL; "productId/emojiId"; the mentioned name


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


# --- text ------------------------------------------------------------------------------------


def segments(message: dict) -> list[Segment]:
    """A text or textV2 message's text, cut into plain text, links, LINE emojis and mentions."""
    text = message.get("text")
    if not isinstance(text, str):
        return []
    if message.get("type") == "textV2":
        return _substituted(text, message.get("substitution") or {})
    return _with_emojis(text, message.get("emojis") or [])


def _with_emojis(text: str, emojis: list) -> list[Segment]:
    """`text` with each `$` an emoji object points at (by UTF-16 index, as LINE counts) drawn
    as a LINE emoji."""
    utf16_to_index, units = {}, 0
    for index, char in enumerate(text):
        utf16_to_index[units] = index
        units += 2 if ord(char) > 0xFFFF else 1
    at: dict[int, str] = {}
    for emoji in emojis:
        if not isinstance(emoji, dict) or not isinstance(emoji.get("index"), int):
            continue
        index = utf16_to_index.get(emoji["index"])
        if index is not None and text[index] == "$":
            at[index] = f"{emoji.get('productId', '?')}/{emoji.get('emojiId', '?')}"
    out: list[Segment] = []
    start = 0
    for index in sorted(at):
        out += linkified(text[start:index])
        out.append(Segment("emoji", at[index]))
        start = index + 1
    return out + linkified(text[start:])


def _substituted(text: str, substitution: dict) -> list[Segment]:
    out: list[Segment] = []
    start = 0
    for match in PLACEHOLDER.finditer(text):
        out += linkified(text[start : match.start()])
        start = match.end()
        token, key = match.group(0), match.group(1)
        value = substitution.get(key) if key else None
        if not isinstance(value, dict):
            out.append(Segment("text", token[0] if key is None else token))
        elif value.get("type") == "emoji":
            out.append(
                Segment("emoji", f"{value.get('productId', '?')}/{value.get('emojiId', '?')}")
            )
        else:
            mentionee = value.get("mentionee") or {}
            everyone = mentionee.get("type") == "all"
            out.append(Segment("mention", "All" if everyone else str(mentionee.get("userId", key))))
    return _merged(out + linkified(text[start:]))


def linkified(text: str) -> list[Segment]:
    """Plain text with its http(s) URLs as links, the way LINE makes them tappable."""
    out: list[Segment] = []
    start = 0
    for match in LINK.finditer(text):
        if match.start() > start:
            out.append(Segment("text", text[start : match.start()]))
        out.append(Segment("link", match.group(0)))
        start = match.end()
    if start < len(text):
        out.append(Segment("text", text[start:]))
    return out


def _merged(parts: list[Segment]) -> list[Segment]:
    """Neighbouring plain-text pieces joined into one."""
    out: list[Segment] = []
    for part in parts:
        if out and part.kind == out[-1].kind == "text":
            out[-1] = Segment("text", out[-1].text + part.text)
        else:
            out.append(part)
    return out


# --- actions, flex, previews -----------------------------------------------------------------


def action_label(action: object) -> str:
    """The words on a button: its label, else what tapping it sends or opens."""
    if not isinstance(action, dict):
        return ""
    for key in ("label", "text", "displayText", "linkUri", "uri", "clipboardText", "data"):
        if isinstance(action.get(key), str) and action[key]:
            return action[key]
    return str(action.get("type", "action"))


def web_url(value: object) -> str | None:
    """`value` if it is an http(s) URL, the only kind the page links to or loads (never
    javascript: or data:)."""
    ok = isinstance(value, str) and value.lower().startswith(("http://", "https://"))
    return value if ok else None


def host(value: object) -> str:
    """The host name of a media URL, to label a picture that cannot be loaded."""
    try:
        return (urlsplit(value).hostname or "") if isinstance(value, str) else ""
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return ""


def action_href(action: object) -> str | None:
    """Where a uri action goes, when it is a web page."""
    if not isinstance(action, dict):
        return None
    return web_url(action.get("uri") or action.get("linkUri"))


def action_title(action: object) -> str:
    """A tooltip saying what the action does: `postback: data=…`, `uri: https://…`."""
    if not isinstance(action, dict):
        return ""
    details = [
        f"{key}={value}"
        for key, value in action.items()
        if key not in ("type", "label", "area") and isinstance(value, str | int | float)
    ]
    return f"{action.get('type', 'action')}: {', '.join(details)}".rstrip(": ")


def flex_parts(contents: object) -> tuple[list[str], list[dict]]:
    """A flex container's texts and its buttons' actions, top to bottom."""
    texts: list[str] = []
    actions: list[dict] = []

    def walk(node: object) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        kind = node.get("type")
        if kind == "bubble":
            for part in BUBBLE_PARTS:
                walk(node.get(part))
            return
        if kind == "text":
            spans = node.get("contents") or []
            joined = "".join(s.get("text", "") for s in spans if isinstance(s, dict))
            text = joined or node.get("text")
            if isinstance(text, str) and text:
                texts.append(text)
            return
        if kind == "button" and isinstance(node.get("action"), dict):
            actions.append(node["action"])
            return
        walk(node.get("contents"))

    walk(contents)
    return texts, actions


def preview(message: dict) -> str:
    """The last message as LINE's chat list shows it."""
    kind = message.get("type")
    if kind in ("text", "textV2"):
        text = "".join(s.text if s.kind != "emoji" else "(emoji)" for s in segments(message))
        return text.replace("\n", " ")
    if kind in PREVIEWS:
        return PREVIEWS[kind]
    return str(message.get("altText") or f"Sent a {kind} message")


def duration(milliseconds: object) -> str:
    """An audio message's length as m:ss."""
    if not isinstance(milliseconds, int | float) or milliseconds < 0:
        return "0:00"
    seconds = round(milliseconds / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


# --- the conversation and the chat list ------------------------------------------------------


def conversation(state: EmulatorState, user_id: str) -> list[Day]:
    """One friend's chat: the pushes to them and what they sent, in order, grouped by (local)
    day as LINE does."""
    today = state.now().astimezone().date()
    days: list[Day] = []
    for item in _timeline(state, user_id):
        at = item.at.astimezone()
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
                reply = entry.messages[-1].get("quickReply") or {}
                items = reply.get("items") if isinstance(reply, dict) else None
                return [i for i in items or [] if isinstance(i, dict)]
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
                last_at=max(times).astimezone() if times else None,
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
