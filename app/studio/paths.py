"""Places in a scenario document, written as the validation's error paths are:
`steps[2].branches[0].when.all[1].attribute`. The studio's fields and buttons are named by them,
so an error lands on the field it concerns."""

import re
from typing import Any

_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
MAX_PATH = 500


class BadPath(ValueError):
    """Not a place in this document."""


def parse(path: str) -> list[str | int]:
    if not path or len(path) > MAX_PATH:
        raise BadPath(path)
    parts: list[str | int] = []
    position = 0
    while position < len(path):
        if path[position] == "." and parts:
            position += 1
        match = _PART.match(path, position)
        if match is None:
            raise BadPath(path)
        parts.append(match.group(1) if match.group(1) else int(match.group(2)))
        position = match.end()
    return parts


def join(parts: list[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def get(document: Any, path: str, default: Any = None) -> Any:
    here = document
    for part in parse(path):
        if isinstance(part, int):
            if not isinstance(here, list) or part >= len(here):
                return default
        elif not isinstance(here, dict) or part not in here:
            return default
        here = here[part]
    return here


def put(document: dict, path: str, value: Any) -> None:
    """Set the value there, making the objects and lists on the way (a list grows by one)."""
    parts = parse(path)
    here: Any = document
    for part, following in zip(parts, [*parts[1:], None], strict=True):
        last = following is None
        blank: Any = [] if isinstance(following, int) else {}
        if isinstance(part, int):
            if not isinstance(here, list) or part > len(here):
                raise BadPath(path)
            if part == len(here):
                here.append(value if last else blank)
            elif last:
                here[part] = value
            elif not isinstance(here[part], dict | list):
                here[part] = blank
        else:
            if not isinstance(here, dict):
                raise BadPath(path)
            if last:
                here[part] = value
            elif not isinstance(here.get(part), dict | list):
                here[part] = blank
        if not last:
            here = here[part]


def remove(document: dict, path: str) -> None:
    """Take the value out (a list closes up); nothing there: nothing to do."""
    parts = parse(path)
    container = get(document, join(parts[:-1])) if len(parts) > 1 else document
    key = parts[-1]
    if isinstance(key, int) and isinstance(container, list) and key < len(container):
        del container[key]
    elif isinstance(key, str) and isinstance(container, dict):
        container.pop(key, None)


def split(path: str) -> tuple[str, int]:
    """`steps[2].then[0]` → (`steps[2].then`, 0): an item's list and its place in it."""
    parts = parse(path)
    if not isinstance(parts[-1], int) or len(parts) < 2:
        raise BadPath(path)
    return join(parts[:-1]), parts[-1]
