"""Checking an import file's header row and each of its rows, value by value."""

import re
from typing import Any

from domain.ids import USER_ID_PATTERN
from store.import_csv import convert
from store.import_problems import Problems, short

MAX_NAME = 100
MAX_VALUE = 1000

_USER_ID = re.compile(USER_ID_PATTERN)


def header(fields: list[str], problems: Problems) -> list[str]:
    first = fields[0] if fields else ""
    if first != "user_id":
        if _USER_ID.fullmatch(first):
            msg = "the header row is missing: line 1 must name the columns, user_id first"
        elif "\t" in first or ";" in first:
            msg = (
                f"the first column must be user_id, not {short(first)}: columns must be "
                "separated by commas"
            )
        elif "user_id" in fields:
            msg = (
                f"the first column must be user_id, not {short(first)} (user_id is column "
                f"{fields.index('user_id') + 1})"
            )
        else:
            msg = f"the first column must be user_id, not {short(first)}"
        problems.add("line 1.column 1", msg, "header")
    seen: dict[str, int] = {first: 1}
    for position, name in enumerate(fields[1:], start=2):
        path = f"line 1.column {position}"
        if name == "user_id" and first != "user_id":
            continue  # said above
        if not name.strip():
            problems.add(path, "the column name is empty", "header")
        elif len(name) > MAX_NAME:
            problems.add(path, f"the column name is longer than {MAX_NAME} characters", "header")
        elif "\x00" in name:
            problems.add(path, "NUL characters are not allowed", "header")
        elif name in seen:
            problems.add(
                path, f"duplicate column name {short(name)} (also column {seen[name]})", "header"
            )
        else:
            seen[name] = position
    return fields[1:]


def row(
    line: int,
    fields: list[str],
    names: list[str],
    rows: dict[str, dict[str, Any]],
    first_line: dict[str, int],
    problems: Problems,
) -> None:
    before = len(problems.items)
    user_id = fields[0]
    if not user_id:
        problems.add(f"line {line}.user_id", "user_id is empty", "missing")
    elif not _USER_ID.fullmatch(user_id):
        problems.add(
            f"line {line}.user_id",
            f"not a LINE user ID (U followed by 32 lowercase hex digits): {short(user_id)}",
            "string_pattern_mismatch",
        )
    elif user_id in first_line:
        problems.add(
            f"line {line}.user_id",
            f"duplicate user_id: already on line {first_line[user_id]}",
            "duplicate",
        )
    else:
        first_line[user_id] = line
    if len(fields) != len(names) + 1:
        problems.add(
            f"line {line}",
            f"{len(fields)} fields, but the header has {len(names) + 1} (a value with a comma "
            "must be quoted)",
            "field_count",
        )
        return
    attributes: dict[str, Any] = {}
    for name, cell in zip(names, fields[1:], strict=True):
        if cell == "":
            continue  # leaves the attribute as it is
        if len(cell) > MAX_VALUE:
            problems.add(
                f"line {line}.{name}", f"longer than {MAX_VALUE} characters", "string_too_long"
            )
        elif "\x00" in cell:
            problems.add(f"line {line}.{name}", "NUL characters are not allowed", "nul_character")
        else:
            attributes[name] = convert(cell)
    if len(problems.items) == before:
        rows[user_id] = attributes
