"""A studio form's fields put into the draft's document. Each input is named by its kind and
the place it fills (`f.int.steps[1].arms[0].weight`), so one generic reading serves every
step kind; what cannot be read as its kind (a word where a number goes, JSON that does not
parse) is kept as typed, for the checks to name it on its field."""

import json
from collections.abc import Iterable
from typing import Any

from app.studio import blanks, paths

ATTRIBUTE_OPS = ("equals", "in", "not_in", "between", "gte", "lte", "exists")
WAIT_MODES = ("duration", "moment", "date")
ANSWERS = ("options", "free")  # a survey's: tapped from its options, or typed as free text
MAX_FIELDS = 5000


def number(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def scalar(text: str) -> Any:
    """What an operator means by a value: true/false, a number, else the words."""
    text = text.strip()
    if text in ("true", "false"):
        return text == "true"
    found = number(text)
    return text if found is None else found


def items(text: str) -> list[str]:
    """A comma- or line-separated list."""
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def read(kind: str, text: str) -> tuple[bool, Any]:
    """(keep, value): `keep` False takes the field out of the document (left empty)."""
    if kind == "text":
        return True, text
    if kind == "opt":
        return bool(text.strip()), text.strip()
    if kind in ("int", "optint"):
        if not text.strip():
            return kind == "int", text
        found = number(text.strip())
        return True, found if isinstance(found, int) else text
    if kind == "bool":
        return True, text == "on"
    if kind == "flag":  # true, or left out
        return text == "on", True
    if kind == "list":
        return bool(items(text)), items(text)
    if kind == "scalar":
        return True, scalar(text)
    if kind == "scalars":
        return bool(items(text)), [scalar(part) for part in items(text)]
    if kind in ("map", "attrs"):  # name=value lines; attrs: values read as scalars
        pairs = [line.split("=", 1) for line in text.splitlines() if "=" in line]
        read_value = scalar if kind == "attrs" else str.strip
        found = {key.strip(): read_value(value) for key, value in pairs if key.strip()}
        return bool(found), found
    if kind == "json":
        if not text.strip():
            return False, None
        try:
            return True, json.loads(text)
        except ValueError:
            return True, text
    raise paths.BadPath(kind)


def fill(document: dict, form: Iterable[tuple[str, str]]) -> None:
    """Every `f.KIND.PATH` value, then the structural choices (`kind.*`), in form order."""
    values: dict[str, tuple[str, str]] = {}  # path → (kind, text); a checkbox's last wins
    choices: list[tuple[str, str, str]] = []
    for count, (name, text) in enumerate(form):
        if count > MAX_FIELDS:
            break
        head, _, rest = name.partition(".")
        if head == "f":
            kind, _, path = rest.partition(".")
            values[path] = (kind, text)
        elif head == "kind":
            what, _, path = rest.partition(".")
            choices.append((what, path, text))
    for path, (kind, text) in values.items():
        keep, value = read(kind, text)
        if keep:
            paths.put(document, path, value)
        else:
            paths.remove(document, path)
    for what, path, choice in choices:
        choose(document, what, path, choice)


def choose(document: dict, what: str, path: str, choice: str) -> None:
    """A structural choice: a condition's, a message's or a trigger's kind, a wait's mode, an
    attribute condition's operator, a survey's answers. The same choice again changes
    nothing."""
    current = paths.get(document, path)
    if what == "condition" and choice in blanks.CONDITIONS:
        if not (isinstance(current, dict) and choice in current):
            paths.put(document, path, blanks.fresh(blanks.CONDITIONS, choice))
    elif what == "message" and choice in blanks.MESSAGES:
        if message_type(current) != choice:
            paths.put(document, path, blanks.fresh(blanks.MESSAGES, choice))
    elif what == "trigger" and choice in blanks.TRIGGERS:
        if not (isinstance(current, dict) and current.get("type") == choice):
            paths.put(document, path, blanks.fresh(blanks.TRIGGERS, choice))
    elif what == "wait" and choice in WAIT_MODES and isinstance(current, dict):
        _wait_mode(current, choice)
    elif what == "operator" and choice in ATTRIBUTE_OPS and isinstance(current, dict):
        _operator(current, choice)
    elif what == "answers" and choice in ANSWERS and isinstance(current, dict):
        _answers(current, choice)


def message_type(message: Any) -> str | None:
    if not isinstance(message, dict):
        return None
    if message.get("type") == "template":
        template = message.get("template")
        return (
            "buttons" if isinstance(template, dict) and template.get("type") == "buttons" else None
        )
    return message.get("type")


def wait_mode(step: dict) -> str:
    until = step.get("until")
    if isinstance(until, dict):
        return "date"
    return "moment" if until is not None else "duration"


def _wait_mode(step: dict, mode: str) -> None:
    if wait_mode(step) == mode:
        return
    step.pop("duration", None)
    step.pop("until", None)
    if mode == "duration":
        step["duration"] = "P1D"
    elif mode == "moment":
        step["until"] = "2027-01-01T10:00:00+09:00"
    else:
        step["until"] = {"attribute": "birthday", "offset": "P0D", "at": "10:00"}


def answers(step: dict) -> str:
    """A survey's answers: `options` to tap (an empty list too: options still to add), or
    `free` text (no options at all)."""
    return "free" if step.get("options") is None else "options"


def _answers(step: dict, mode: str) -> None:
    if answers(step) == mode:
        return
    if mode == "free":
        step.pop("options", None)
    else:
        step["options"] = blanks.fresh(blanks.STEPS, "survey")["options"]


def operator_of(condition: dict) -> str | None:
    return next((op for op in ATTRIBUTE_OPS if op in condition), None)


def _operator(condition: dict, op: str) -> None:
    current = operator_of(condition)
    if current == op:
        return
    value = condition.pop(current, None) if current else None
    if op == "exists":
        condition[op] = True
    elif op in ("in", "not_in"):
        condition[op] = value if isinstance(value, list) else [value if value is not None else ""]
    elif op == "between":
        condition[op] = value if isinstance(value, list) and len(value) == 2 else [0, 100]
    else:
        condition[op] = value[0] if isinstance(value, list) and value else (value or "")
