"""Hypothesis strategies shared by the fuzz tests: any JSON, awkward strings and numbers, random
mutations of a valid document, and the bytes a client would send for it."""

import copy
import json
from typing import Any

from hypothesis import strategies as st

HUGE_FLOAT = "<1e400>"  # sent as the number 1e400: Python's json reads it as infinity

# by name, so that Hypothesis's reports stay short
_STRINGS = {
    "empty": "",
    "space": " ",
    "lone surrogate": "\ud800",  # no UTF-8 can hold it
    "NUL": "\x00",
    "right-to-left": "\u202eevil",
    "5,002 UTF-16 units": "😀" * 2501,
    "10,000 characters": "a" * 10_000,
    "null": "null",
    "duration": "P1D",
    "clock": "10:00",
    "placeholder": "{displayName}",
    "bad placeholder": "{attribute:}",
    "path": "../../etc/passwd",
    "SQL": "'; DROP TABLE scenario; --",
    "huge float": HUGE_FLOAT,
}
_NUMBERS = {
    "2**31": 2**31,
    "2**63": 2**63,
    "-2**63-1": -(2**63) - 1,
    "10**40": 10**40,
    "10**400": 10**400,
    "1e308": 1e308,
    "-0.0": -0.0,
    "5e-324": 5e-324,
}
AWKWARD_STRINGS = st.sampled_from(sorted(_STRINGS)).map(_STRINGS.__getitem__)
AWKWARD_NUMBERS = st.sampled_from([0, -1, 0.5, HUGE_FLOAT]) | st.sampled_from(sorted(_NUMBERS)).map(
    _NUMBERS.__getitem__
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | AWKWARD_STRINGS
    | AWKWARD_NUMBERS
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def encode(document: Any) -> bytes:
    """The body a client sends: ASCII-escaped JSON (a lone surrogate travels as \\ud800), with
    the number 1e400 wherever HUGE_FLOAT stands."""
    return json.dumps(document).replace(json.dumps(HUGE_FLOAT), "1e400").encode()


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


def _nested(value: Any, depth: int, in_lists: bool) -> Any:
    for _ in range(depth):
        value = [value] if in_lists else {"not": value}
    return value


@st.composite
def mutated(draw, documents: st.SearchStrategy, max_mutations: int = 3) -> Any:
    """A document from `documents` with 1 to `max_mutations` random changes anywhere in it: a
    value replaced by an awkward one or any JSON (wrong types, huge numbers, odd strings), a key
    or item removed, an unknown key added, an item repeated (duplicate ids), a value buried in
    deep nesting."""
    holder = [copy.deepcopy(draw(documents))]  # so that the document itself can change too
    for _ in range(draw(st.integers(1, max_mutations))):
        path = draw(st.sampled_from(_paths(holder)[1:]))
        parent = holder
        for key in path[:-1]:
            parent = parent[key]
        key, value = path[-1], parent[path[-1]]
        change = draw(st.sampled_from(["replace", "remove", "add", "repeat", "nest"]))
        if change == "replace":
            parent[key] = draw(AWKWARD_STRINGS | AWKWARD_NUMBERS | json_values)
        elif change == "remove" and parent is not holder:
            del parent[key]
        elif change == "add" and isinstance(value, dict):
            value[draw(st.text(max_size=10) | AWKWARD_STRINGS)] = draw(json_values)
        elif change == "repeat" and isinstance(parent, list) and parent is not holder:
            parent.insert(key, copy.deepcopy(value))
        elif change == "nest":
            depth = draw(st.sampled_from([1, 2, 50, 200]))  # 200: past the API's limit
            parent[key] = _nested(value, depth, draw(st.booleans()))
    return holder[0]
