"""Urlencoded form bodies and form flags, as the LINE Login endpoints read them."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from fastapi import Request

FORM = "application/x-www-form-urlencoded"


def is_form(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip().lower() == FORM


def read_form(raw: bytes) -> dict[str, str]:
    """A urlencoded body, last value of each name (a body that is not UTF-8 reads as empty)."""
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        return {}
    return {key: values[-1] for key, values in parse_qs(text, keep_blank_values=True).items()}


def flag(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "on", "1", "yes"):
        return True
    if isinstance(value, str) and value.lower() in ("false", "off", "0", "no", ""):
        return False
    return None
