"""Personalisation placeholders in LINE messages: `{displayName}` and `{attribute:NAME}`.

Pure standard library: imported inside Temporal workflows (through `imports_passed_through`) and
by activities. Functions never mutate their input. (`placeholder_problems`, used when a
definition is validated, imports `Problem` from core.linemsg lazily, so importing this module
does not pull in the LINE SDK.)

Syntax, in the `text` of `text` / `textV2` messages and the `altText` of `template`, `flex` and
`imagemap` messages (the only places filled):

* `{displayName}` — exactly so, case-sensitive;
* `{attribute:NAME}` — NAME is 1 to 100 characters without `{` or `}`; spaces around it are
  ignored, so `{attribute: plan }` is the key `attribute:plan`.

What a friend can set (a display name, a free-text answer) is never a link: a value goes into
text with an invisible U+200B after each `:` before a `/` and each `.` before a letter (no
client linkifies `https:\u200b//evil.\u200bexample/x`; `1.5` stays as it is), and into a URL written in the scenario
percent-encoded as one component (`https://shop.example/?u={attribute:id}` keeps its host; a
placeholder in a URL's host is refused when the definition is saved). Links are tracked from
the scenario's own text, before any value is filled in (activities/sending.py).

Any other text in braces (`{foo}`, JSON, `{ }`) is ordinary text and left alone. In a `textV2`
message, a brace key that is also a key of its `substitution` (LINE's own mentions and emoji)
belongs to LINE and is left alone too.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import quote

from core.links import host_of, message_urls, url_spans

if TYPE_CHECKING:
    from core.linemsg import Problem

# Same limits as core.linemsg (kept here so this module stays free of the SDK import).
MAX_TEXT = 5000
MAX_ALT_TEXT = 1500
MAX_ATTRIBUTE_NAME = 100
DISPLAY_NAME = "displayName"
ATTRIBUTE_PREFIX = "attribute:"
EMPTY_TEXT = "…"  # LINE rejects an empty text / altText

_PLACEHOLDER = re.compile(r"\{(?:(displayName)|attribute:([^{}]*))\}")
_BRACED = re.compile(r"\{([^{}]*)\}")
# An opening brace that starts something meant as one of ours (checked for a missing `}`).
_LOOKS_OURS = re.compile(r"\{(?=\s*(?:display[\s_-]*name|attribute\s*:))", re.IGNORECASE)
_MISSPELT_ATTRIBUTE = re.compile(r"\s*attribute\s*:(.*)", re.IGNORECASE | re.DOTALL)
_LINK_JOINT = re.compile(r"(:(?=/)|\.(?=[A-Za-z]))")
INVISIBLE_BREAK = "\u200b"


def placeholders(messages: list[dict]) -> list[str]:
    """The distinct placeholder keys used (`"displayName"`, `"attribute:plan"` …), in order."""
    found: dict[str, None] = {}
    for message in messages:
        for _field, text, reserved in _fillable(message):
            for match in _PLACEHOLDER.finditer(text):
                key = _key(match)
                if key is not None and _inner(match) not in reserved:
                    found.setdefault(key)
    return list(found)


def friend_values(display_name: str | None, attributes: dict[str, object]) -> dict[str, object]:
    """What a friend's placeholders are filled with: `displayName` and `attribute:NAME` for
    each of their attributes (a push, activities/sending.py, and a preview, app/preview.py)."""
    values: dict[str, object] = {
        ATTRIBUTE_PREFIX + name: value for name, value in (attributes or {}).items()
    }
    values[DISPLAY_NAME] = display_name
    return values


def fill(messages: list[dict], values: dict[str, object], defaults: dict[str, str]) -> list[dict]:
    """A deep copy of `messages` with every placeholder replaced.

    The replacement is `str(values[key])`; when that is missing, None or "", it is
    `defaults[key]`, and without a default it is "" — a raw placeholder never reaches a user.
    (Malformed ones such as `{attribute:}` are not placeholders and stay as written:
    `placeholder_problems` rejects them when a definition is saved.)
    Values go in literally (braces inside them are not expanded again), never as a link: see
    the module's docstring. Afterwards `text` is clipped to 5000 and `altText` to 1500 UTF-16
    code units (never splitting a surrogate pair), and a field that ends up empty (or blank
    where filling changed it) becomes "…", since LINE rejects empty ones.
    """
    result = copy.deepcopy(messages)
    for message in result:
        for field, text, reserved in _fillable(message):
            spans = url_spans(text) if "https://" in text else []
            filled = _fill_text(text, values, defaults, reserved, spans)
            filled = clip_utf16(filled, MAX_TEXT if field == "text" else MAX_ALT_TEXT)
            if not filled or (filled != text and not filled.strip()):
                filled = EMPTY_TEXT
            message[field] = filled
    return result


def fill_url(url: str, values: dict[str, object], defaults: dict[str, str]) -> str:
    """A URL written in a scenario with its placeholders filled, each value percent-encoded as
    one component (it cannot add a path, a query or a host)."""
    return _fill_text(url, values, defaults, frozenset(), [(0, len(url))])


def inert(value: str) -> str:
    """A value as text no client turns into a link (an invisible break in `://` and `.com`)."""
    return _LINK_JOINT.sub(lambda match: match.group(1) + INVISIBLE_BREAK, value)


def placeholder_problems(messages: object, defaults: object, path: str) -> list[Problem]:
    """Problems with the placeholders of one step (`path` is the step's, e.g. `steps[0]`).

    Reports text that looks like a placeholder but is not one (`{displayname}`,
    `{attribute:}`, `{Attribute:plan}`, a missing `}` …) at `{path}.messages[i].text` /
    `.altText`, and `defaults` keys that are not `displayName` or `attribute:NAME` (or whose
    value is not a string) at `{path}.defaults.KEY`. Never raises.
    """
    from core.linemsg import Problem

    problems: list[Problem] = []
    if isinstance(messages, list):
        for index, message in enumerate(messages):
            for field, text, reserved in _fillable(message):
                where = f"{path}.messages[{index}].{field}"
                problems.extend(Problem(where, m) for m in _text_problems(text, reserved))
            for url in message_urls(message):
                if _PLACEHOLDER.search(host_of(url)):
                    problems.append(
                        Problem(
                            f"{path}.messages[{index}]",
                            f"{_show(url)} has a placeholder where it says which site it leads"
                            " to: a friend could choose it; put placeholders in the path or"
                            " the query",
                        )
                    )
    if isinstance(defaults, dict):
        for key, value in defaults.items():
            where = f"{path}.defaults.{key}"
            if not isinstance(key, str) or not _valid_key(key):
                problems.append(
                    Problem(where, "is not a placeholder: use displayName or attribute:NAME")
                )
            elif not isinstance(value, str):
                problems.append(Problem(where, "must be a string"))
    elif defaults is not None:
        problems.append(Problem(f"{path}.defaults", "must be a JSON object"))
    return list(dict.fromkeys(problems))


def clip_utf16(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-16 code units, without splitting a surrogate pair."""
    if len(text) <= limit // 2:  # fast path: even all-astral text fits
        return text
    size = 0
    for index, char in enumerate(text):
        size += 2 if ord(char) > 0xFFFF else 1
        if size > limit:
            return text[:index]
    return text


# --- internals ---------------------------------------------------------------------------


def _fillable(message: object) -> Iterator[tuple[str, str, frozenset[str]]]:
    """(field, text, LINE's own substitution keys) for each field of `message` we fill."""
    if not isinstance(message, dict):
        return
    kind = message.get("type")
    if kind in ("text", "textV2"):
        field = "text"
    elif kind in ("template", "flex", "imagemap"):
        field = "altText"
    else:
        return
    text = message.get(field)
    if not isinstance(text, str):
        return
    substitution = message.get("substitution") if kind == "textV2" else None
    reserved = (
        frozenset(k for k in substitution if isinstance(k, str))
        if isinstance(substitution, dict)
        else frozenset()
    )
    yield field, text, reserved


def _fill_text(
    text: str,
    values: dict[str, object],
    defaults: dict[str, str],
    reserved: frozenset[str],
    spans: list[tuple[int, int]],
) -> str:
    def replacement(match: re.Match[str]) -> str:
        key = _key(match)
        if key is None or _inner(match) in reserved:
            return match.group()  # malformed (`{attribute:}`) or LINE's own: not ours to fill
        value = values.get(key) if isinstance(values, dict) else None
        if value is None or value == "":
            value = defaults.get(key) if isinstance(defaults, dict) else None
        if value is None:
            return ""
        if any(start <= match.start() < end for start, end in spans):
            return quote(str(value), safe="")
        return inert(str(value))

    return _PLACEHOLDER.sub(replacement, text)


def _inner(match: re.Match[str]) -> str:
    return match.group()[1:-1]


def _key(match: re.Match[str]) -> str | None:
    """The key of a `_PLACEHOLDER` match, or None when the attribute name is not valid."""
    if match.group(1):
        return DISPLAY_NAME
    name = match.group(2).strip()
    if not name or len(name) > MAX_ATTRIBUTE_NAME:
        return None
    return ATTRIBUTE_PREFIX + name


def _valid_key(key: str) -> bool:
    if key == DISPLAY_NAME:
        return True
    if not key.startswith(ATTRIBUTE_PREFIX):
        return False
    name = key[len(ATTRIBUTE_PREFIX) :]
    return (
        0 < len(name) <= MAX_ATTRIBUTE_NAME
        and name == name.strip()
        and "{" not in name
        and "}" not in name
    )


def _text_problems(text: str, reserved: frozenset[str]) -> Iterator[str]:
    for match in _BRACED.finditer(text):
        inner = match.group(1)
        if inner in reserved or inner == DISPLAY_NAME:
            continue
        shown = _show(match.group())
        if re.sub(r"[\s_-]", "", inner).lower() == "displayname":
            yield f"{shown} is not a placeholder: write {{displayName}} exactly"
            continue
        attribute = _MISSPELT_ATTRIBUTE.fullmatch(inner)
        if attribute is None:
            continue  # someone else's braces
        name = attribute.group(1).strip()
        if not inner.startswith(ATTRIBUTE_PREFIX):
            suggestion = f"{{attribute:{name}}}" if name else "{attribute:NAME}"
            yield f"{shown} is not a placeholder: write {_show(suggestion)}"
        elif not name:
            yield f"{shown} has no attribute name: write {{attribute:NAME}}"
        elif len(name) > MAX_ATTRIBUTE_NAME:
            yield (
                f"{shown} has an attribute name longer than {MAX_ATTRIBUTE_NAME} characters"
                f" (got {len(name)})"
            )
    for match in _LOOKS_OURS.finditer(text):
        if _BRACED.match(text, match.start()) is None:
            fragment = re.match(r"\{[^{\n]{0,30}", text[match.start() :]).group().rstrip()
            yield f"{fragment} has no closing }} (names cannot contain braces)"


def _show(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."
