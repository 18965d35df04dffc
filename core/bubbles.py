"""How the LINE app draws one message, shared by the LINE emulator's chat view and the
dashboard's preview (app/preview.py), so the two never drift: pure functions that shape message
objects (text cut into links, emojis and mentions, button labels and links, flex texts and
actions, chat-list previews, audio lengths), the Jinja macros that draw them
(core/templates/bubbles.html) and their CSS (core/static/bubbles.css, every rule inside an
element of class `line-chat`). Nothing here runs a message's actions: a caller that wants taps
passes its own `action` macro (the emulator's forms)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from jinja2 import BaseLoader, ChainableUndefined, ChoiceLoader, Environment, FileSystemLoader

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"  # bubbles.html: `{% import "bubbles.html" as bubbles %}`
CSS = HERE / "static" / "bubbles.css"

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


def quick_reply_items(message: object) -> list[dict]:
    """The quick-reply buttons a message carries (LINE shows the last message's only)."""
    reply = message.get("quickReply") if isinstance(message, dict) else None
    items = reply.get("items") if isinstance(reply, dict) else None
    return (
        [item for item in items or [] if isinstance(item, dict)] if isinstance(items, list) else []
    )


def duration(milliseconds: object) -> str:
    """An audio message's length as m:ss."""
    if not isinstance(milliseconds, int | float) or milliseconds < 0:
        return "0:00"
    seconds = round(milliseconds / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


# --- the templates ---------------------------------------------------------------------------


def environment(*loaders: BaseLoader) -> Environment:
    """A Jinja environment that draws messages: `loaders` first (a caller's own templates),
    then bubbles.html, with the functions above as its globals. Everything is escaped; an odd
    message draws less, never fails."""
    env = Environment(
        loader=ChoiceLoader([*loaders, FileSystemLoader(TEMPLATES)]),
        autoescape=True,
        undefined=ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        segments=segments,
        action_label=action_label,
        action_href=action_href,
        web_url=web_url,
        host=host,
        action_title=action_title,
        flex_parts=flex_parts,
        duration=duration,
    )
    return env
