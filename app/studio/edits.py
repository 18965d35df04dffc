"""The changes an operator makes to a draft's document: a field's value, or a step (or a
message, branch, arm, condition…) added, moved, duplicated or deleted. Each takes the document
as it is — valid or not — and leaves it as typed; the checks come after (app/studio/check.py)."""

import copy
import re
from collections.abc import Iterator
from typing import Any

from app.studio import blanks, paths
from app.studio.paths import BadPath

STEP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
STEP_LISTS = ("steps", "then", "on_timeout", "otherwise")
# lists that are left out rather than empty (an empty one is refused): without its options a
# survey takes free text; without exit conditions a scenario has none
NONE_WHEN_EMPTY = ("options", "exit")


class BadEdit(ValueError):
    """An edit that does not fit the document (a stale page, a hand-made form)."""


def steps_in(document: Any) -> Iterator[dict]:
    """Every step of the document however deep (an object with a string `id` and `type`),
    as it stands, valid or not."""
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            if isinstance(value.get("id"), str) and isinstance(value.get("type"), str):
                yield value
            pending.extend(reversed(list(value.values())))
        elif isinstance(value, list):
            pending.extend(reversed(value))


def step_ids(document: Any) -> set[str]:
    return {step["id"] for step in steps_in(document)}


def new_id(taken: set[str], base: str) -> str:
    base = re.sub(r"[^A-Za-z0-9_.\-]", "-", base).strip("-.") or "step"
    base = base[:56]
    number = 1
    while (candidate := f"{base}-{number}") in taken:
        number += 1
    taken.add(candidate)
    return candidate


def add_step(document: dict, list_path: str, index: int, kind: str) -> str:
    """A new step of `kind` at `index` of the step list there; its path."""
    if paths.parse(list_path)[-1] not in STEP_LISTS:
        raise BadEdit(f"{list_path} holds no steps")
    steps = _list(document, list_path)
    step = {
        "id": new_id(step_ids(document), kind.replace("_", "-")),
        **blanks.fresh(blanks.STEPS, kind),
    }
    steps.insert(max(0, min(index, len(steps))), step)
    return f"{list_path}[{steps.index(step)}]"


def duplicate(document: dict, path: str) -> str:
    """A copy right after it, the copy's steps (its own and those inside) under new ids."""
    list_path, index = paths.split(path)
    items = _list(document, list_path)
    if index >= len(items):
        raise BadEdit(f"nothing at {path}")
    copied = copy.deepcopy(items[index])
    taken = step_ids(document)
    for step in steps_in(copied):
        step["id"] = new_id(taken, re.sub(r"-\d+$", "", step["id"]))
    items.insert(index + 1, copied)
    return f"{list_path}[{index + 1}]"


def move(document: dict, path: str, offset: int) -> str:
    """One place up (-1) or down (+1) in its list; its new path."""
    list_path, index = paths.split(path)
    items = _list(document, list_path)
    target = index + offset
    if index >= len(items) or not 0 <= target < len(items):
        return path
    items[index], items[target] = items[target], items[index]
    return f"{list_path}[{target}]"


def delete(document: dict, path: str) -> None:
    """Out of its list; a list that is left out rather than empty goes with its last item."""
    list_path, index = paths.split(path)
    items = _list(document, list_path)
    if index < len(items):
        del items[index]
    if not items and paths.parse(list_path)[-1] in NONE_WHEN_EMPTY:
        paths.remove(document, list_path)


def append(document: dict, list_path: str, value: Any) -> str:
    items = _list(document, list_path)
    items.append(value)
    return f"{list_path}[{len(items) - 1}]"


def add_item(document: dict, list_path: str) -> str:
    """The list's usual new item (a branch, an arm, an option, a button…) at its end."""
    name = paths.parse(list_path)[-1]
    if name not in blanks.ITEMS:
        raise BadEdit(f"nothing to add to {list_path}")
    return append(document, list_path, blanks.fresh(blanks.ITEMS, str(name)))


def drop(document: dict, path: str) -> None:
    """An optional part taken out (a goal, a window, the exit conditions, quick replies)."""
    try:
        paths.remove(document, path)
    except BadPath as exc:
        raise BadEdit(f"no such place: {path}") from exc


def put_blank(document: dict, path: str, blank: str) -> str:
    """An optional part put in place, as the studio starts it (blanks.PARTS)."""
    if blank not in blanks.PARTS:
        raise BadEdit(f"nothing called {blank!r} to put in place")
    try:
        paths.put(document, path, blanks.fresh(blanks.PARTS, blank))
    except BadPath as exc:
        raise BadEdit(f"no such place: {path}") from exc
    return path


def _list(document: dict, list_path: str) -> list:
    try:
        items = paths.get(document, list_path)
        if items is None:
            paths.put(document, list_path, [])
            items = paths.get(document, list_path)
    except BadPath as exc:
        raise BadEdit(f"no such place: {list_path}") from exc
    if not isinstance(items, list):
        raise BadEdit(f"{list_path} is not a list")
    return items
