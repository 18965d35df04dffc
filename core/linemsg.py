"""Validation of LINE message objects (the `messages` of a push or multicast request).

Structure (required fields, types, enums, nested actions, flex components, quick replies) comes
from the line-bot-sdk v3 models, which are generated from LINE's own OpenAPI file. We walk them
field by field instead of calling `Message.from_dict`, so that every error keeps its full JSON path
(`messages[0].template.actions[1].uri`). On top of that come the limits LINE documents but the
OpenAPI file does not encode. LINE's servers count string lengths in UTF-16 code units (an emoji
outside the BMP such as 😀 counts 2), and so do we.
"""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass

from linebot.v3.messaging import models
from pydantic.v1 import BaseModel, ValidationError
from pydantic.v1.fields import SHAPE_DICT, SHAPE_LIST, SHAPE_MAPPING, SHAPE_SINGLETON, ModelField

MAX_MESSAGES = 5
MAX_TEXT = 5000
MAX_ALT_TEXT = 1500
MAX_QUICK_REPLY_ITEMS = 13
MAX_LOCATION_FIELD = 100
MAX_MEDIA_URL = 2000
MAX_ACTION_URI = 1000
ACTION_URI_SCHEMES = ("http://", "https://", "line://", "tel:")
# Keys that hold the URL of an image, video or audio file, wherever they appear in a message.
MEDIA_URL_KEYS = frozenset(
    {"originalContentUrl", "previewImageUrl", "baseUrl", "thumbnailImageUrl", "imageUrl", "iconUrl"}
)
FLEX_MEDIA_TYPES = frozenset({"image", "video", "icon"})  # flex components whose `url` is media


@dataclass(frozen=True)
class Problem:
    path: str  # JSON path in LINE's own style, e.g. "messages[0].text"
    message: str  # one clear human sentence


def check_messages(messages: object, path: str = "messages") -> list[Problem]:
    """Check a list of LINE message objects; [] means valid. Never raises."""
    if not isinstance(messages, list):
        return [Problem(path, f"must be an array of 1 to {MAX_MESSAGES} message objects")]
    problems: list[Problem] = []
    if not messages:
        problems.append(Problem(path, "must contain at least 1 message"))
    elif len(messages) > MAX_MESSAGES:
        problems.append(
            Problem(path, f"must contain at most {MAX_MESSAGES} messages (got {len(messages)})")
        )
    for index, message in enumerate(messages):
        where = f"{path}[{index}]"
        found: list[Problem] = []
        try:
            parse_model(models.Message, message, where, found)
            if isinstance(message, dict):
                _check_limits(message, where, found)
        except Exception as exc:  # garbage the SDK chokes on (e.g. absurdly deep nesting)
            found.append(Problem(where, f"could not be checked ({type(exc).__name__})"))
        problems.extend(dict.fromkeys(found))  # drop exact duplicates, keep order
    return problems


def to_sdk_messages(messages: list[dict]) -> list[models.Message]:
    """Turn already-valid message dicts into SDK models (raises ValueError if they are not valid).

    Fields the SDK does not know are dropped by the SDK; everything LINE documents is kept.
    """
    problems = check_messages(messages)
    if problems:
        raise ValueError("; ".join(f"{p.path}: {p.message}" for p in problems))
    return [models.Message.from_dict(message) for message in messages]


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# --- structure, from the SDK models ---------------------------------------------------------


def parse_model(
    cls: type[BaseModel], obj: object, path: str, out: list[Problem]
) -> BaseModel | None:
    """Build `cls` (resolving discriminators) from a JSON value; record problems, None if any."""
    if not isinstance(obj, dict):
        out.append(Problem(path, f"must be a JSON object (got {_short(obj)})"))
        return None
    cls = _concrete_class(cls, obj, path, out)
    if cls is None:
        return None
    values: dict[str, object] = {}
    failed: set[str] = set()
    for name, field in cls.__fields__.items():
        raw = obj.get(field.alias)
        if raw is not None and inspect.isclass(field.type_) and issubclass(field.type_, BaseModel):
            raw = _parse_nested(field, raw, f"{path}.{field.alias}", out)
            if raw is None:
                failed.add(field.alias)
        if raw is not None:
            values[name] = raw
    try:
        model = cls.parse_obj(values)
    except ValidationError as exc:
        seen: set[tuple] = set()
        for error in exc.errors():
            loc = error["loc"]
            if (loc and loc[0] in failed) or loc in seen:
                continue  # reported one level down, or a 2nd union member (float | int)
            seen.add(loc)
            out.append(Problem(_join(path, loc), _describe(error)))
        return None
    return None if failed else model


def _parse_nested(field: ModelField, raw: object, path: str, out: list[Problem]) -> object:
    """A model-typed field: one model, or a list or dict of them. None when problems were found."""
    sub = field.type_
    if field.shape == SHAPE_SINGLETON:
        return parse_model(sub, raw, path, out)
    if field.shape == SHAPE_LIST and isinstance(raw, list):
        items = [parse_model(sub, item, f"{path}[{i}]", out) for i, item in enumerate(raw)]
        return None if any(item is None for item in items) else items
    if field.shape in (SHAPE_DICT, SHAPE_MAPPING) and isinstance(raw, dict):
        mapping = {key: parse_model(sub, value, f"{path}.{key}", out) for key, value in raw.items()}
        return None if any(item is None for item in mapping.values()) else mapping
    return raw  # not the container the field wants: pydantic reports it


def _concrete_class(cls: type[BaseModel], obj: dict, path: str, out: list[Problem]):
    """For a base class with a discriminator (Message, Action, FlexComponent …), pick the subclass."""
    mapping = vars(cls).get(f"_{cls.__name__}__discriminator_value_class_map")
    if mapping is None:
        return cls
    key = vars(cls).get(f"_{cls.__name__}__discriminator_property_name", "type")
    kind = obj.get(key)
    if kind is None:
        out.append(Problem(f"{path}.{key}", "is required"))
        return None
    if not isinstance(kind, str) or kind not in mapping:
        allowed = ", ".join(sorted(mapping, key=str.lower))
        out.append(Problem(f"{path}.{key}", f"must be one of {allowed} (got {_short(kind)})"))
        return None
    return getattr(models, mapping[kind])


def _join(path: str, loc: tuple) -> str:
    for part in loc:
        if part == "__root__":
            continue
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


# pydantic error types → our sentence; anything else keeps pydantic's own message.
_DESCRIPTIONS = {
    "value_error.missing": "is required",
    "type_error.str": "must be a string",
    "type_error.integer": "must be an integer",
    "type_error.float": "must be a number",
    "type_error.bool": "must be true or false",
    "value_error.strictbool": "must be true or false",
    "type_error.list": "must be an array",
    "type_error.dict": "must be a JSON object",
    "value_error.any_str.max_length": "must be at most {limit_value} characters",
    "value_error.any_str.min_length": "must be at least {limit_value} characters",
    "value_error.list.max_items": "must have at most {limit_value} items",
    "value_error.list.min_items": "must have at least {limit_value} items",
    "value_error.str.regex": "must match the pattern {pattern}",
}


def _describe(error: dict) -> str:
    template = _DESCRIPTIONS.get(error["type"])
    return template.format(**(error.get("ctx") or {})) if template else error["msg"]


# --- limits LINE documents that the OpenAPI file does not encode ---------------------------


def _check_limits(message: dict, path: str, out: list[Problem]) -> None:
    kind = message.get("type")
    if kind in ("text", "textV2"):
        _length(message.get("text"), f"{path}.text", 1, MAX_TEXT, out)
    if kind in ("template", "flex", "imagemap"):
        _length(message.get("altText"), f"{path}.altText", 1, MAX_ALT_TEXT, out)
    if kind == "location":
        for key in ("title", "address"):
            _length(message.get(key), f"{path}.{key}", 1, MAX_LOCATION_FIELD, out)
    quick_reply = message.get("quickReply")
    items = quick_reply.get("items") if isinstance(quick_reply, dict) else None
    if isinstance(items, list) and len(items) > MAX_QUICK_REPLY_ITEMS:
        _add(out, f"{path}.quickReply.items", f"must have at most {MAX_QUICK_REPLY_ITEMS} items")
    _check_urls(message, path, out)


def _check_urls(node: object, path: str, out: list[Problem]) -> None:
    """Media URLs must be https and ≤ 2000 characters; action URIs ≤ 1000 with a known scheme."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            _check_urls(item, f"{path}[{index}]", out)
        return
    if not isinstance(node, dict):
        return
    is_uri_action = node.get("type") == "uri"
    uri_key = "linkUri" if "area" in node else "uri"  # imagemap actions use linkUri
    if is_uri_action and node.get(uri_key) is None:
        _add(out, f"{path}.{uri_key}", "is required")
    for key, value in node.items():
        where = f"{path}.{key}"
        if not isinstance(value, str):
            _check_urls(value, where, out)
        elif key in MEDIA_URL_KEYS or (
            key in ("url", "previewUrl") and node.get("type") in FLEX_MEDIA_TYPES
        ):
            if not value.startswith("https://"):
                _add(out, where, "must be an https URL")
            elif len(value) > MAX_MEDIA_URL:
                _add(out, where, f"must be at most {MAX_MEDIA_URL} characters (got {len(value)})")
        elif is_uri_action and key == uri_key:
            if not value.lower().startswith(ACTION_URI_SCHEMES):
                _add(out, where, "must be an http, https, line or tel URI")
            elif len(value) > MAX_ACTION_URI:
                _add(out, where, f"must be at most {MAX_ACTION_URI} characters (got {len(value)})")


def _length(value: object, path: str, low: int, high: int, out: list[Problem]) -> None:
    if not isinstance(value, str):
        return  # missing or wrongly typed: reported by the structural check
    size = utf16_len(value)
    if size < low:
        _add(out, path, "must not be empty")
    elif size > high:
        _add(out, path, f"must be at most {high} UTF-16 code units (got {size})")


def _add(out: list[Problem], path: str, message: str) -> None:
    """Add a limit problem unless the structural check already reported that exact path."""
    if not any(p.path == path for p in out):
        out.append(Problem(path, message))


def _short(value: object) -> str:
    """A value as JSON, cut to 40 characters, for "(got …)" in messages."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
