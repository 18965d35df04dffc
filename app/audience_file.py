"""An upload audience's members from a file: one user ID a line, or a CSV whose header names a
`user_id` column (else its first column is read). Encoded like the friends' CSV import (UTF-8
with or without BOM, or Shift_JIS); any problem — each with its line — and nothing is added."""

import re

from domain.ids import USER_ID_PATTERN
from store.import_csv import collecting, decode, records
from store.import_problems import ImportInvalid, Problems, problem, short

MAX_MEMBERS = 100_000  # as `PUT /audiences/{id}/members` takes at most
_USER_ID = re.compile(USER_ID_PATTERN)
_HEADER = "user_id"


def _column(first: list[str]) -> tuple[int, bool]:
    """(the column read, whether the first record is a header naming it)."""
    names = [cell.strip().lower() for cell in first]
    if _HEADER in names:
        return names.index(_HEADER), True
    return 0, False


def user_ids(data: bytes) -> list[str]:
    """The file's user IDs in order, each once; ImportInvalid lists what is wrong."""
    text = decode(data)
    found: dict[str, None] = {}
    problems = Problems()
    column, header = 0, False
    with collecting(problems):
        for line, fields in records(text):
            if line == 1:
                column, header = _column(fields)
                if header:
                    continue
            cell = fields[column].strip() if column < len(fields) else ""
            if not cell and not any(field.strip() for field in fields):
                continue  # a blank line
            if not _USER_ID.match(cell):
                problems.add(
                    f"line {line}", f"{short(cell)} is not a LINE user ID (U + 32 hex)", "user_id"
                )
            found[cell] = None
    if not found:
        raise ImportInvalid([problem("file", "the file holds no user IDs", "empty")])
    if len(found) > MAX_MEMBERS:
        raise ImportInvalid(
            [
                problem(
                    "file",
                    f"{len(found):,} user IDs: at most {MAX_MEMBERS:,} a file, split it",
                    "too_long",
                )
            ]
        )
    return list(found)
