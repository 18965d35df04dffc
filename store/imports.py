"""Bulk import of friend attributes from a CSV file (an Excel export, say): parse and check
every row first (any problem: nothing is written), then merge them, a chunk of friends a
transaction (api/routes/imports.py), so that other writers never wait long.

The file: a header row whose first column is `user_id` and whose other columns name the
attributes; UTF-8 (with or without BOM) or else Shift_JIS (cp932, Japanese Excel); CRLF or LF;
quoting per RFC 4180. An empty cell leaves that attribute as it is; other cells become an int
(`27`, but `0123` stays text), a float (`1.5`), a bool (`true`/`false`, any case) or else a
string. Rows whose cells are all empty (blank lines, Excel's trailing `,,,`) are skipped."""

import csv
import io
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.ids import USER_ID_PATTERN
from store.tables import Friend
from store.types import utcnow

MAX_PROBLEMS = 100
MAX_NAME = 100
MAX_VALUE = 1000
_SELECT_CHUNK = 1000  # user ids per `IN (…)`
_WRITE_CHUNK = 5000  # rows per executemany INSERT or UPDATE

_USER_ID = re.compile(USER_ID_PATTERN)
_INT = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?[0-9]+\.[0-9]+")
_INT64 = range(-(2**63), 2**63)

# an unclosed quote swallows the rest of the file into one field: let it get to the end of
# the file and be reported as unclosed, rather than as a field over csv's 128 KiB limit
csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))


class ImportInvalid(Exception):
    """The file cannot be imported; `problems` are `{"path", "msg", "type"}` like other 422s."""

    def __init__(self, problems: list[dict[str, str]]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def problem(path: str, msg: str, type_: str) -> dict[str, str]:
    return {"path": path, "msg": msg, "type": type_}


@dataclass
class ParsedImport:
    attributes: list[str]  # the attribute columns, in file order
    rows: dict[str, dict[str, Any]]  # user id → attributes to merge, in file order


@dataclass
class ImportResult:
    imported: int
    created: int
    updated: int  # friends that existed already (imported = created + updated)
    attributes: list[str]
    changed: list[str] = field(default_factory=list)  # ids whose row was created or changed


class _TooMany(Exception):
    pass


class _Problems:
    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []
        self.truncated = False

    def add(self, path: str, msg: str, type_: str) -> None:
        if len(self.items) == MAX_PROBLEMS:
            self.truncated = True
            raise _TooMany
        self.items.append(problem(path, msg, type_))

    def result(self) -> list[dict[str, str]]:
        if not self.truncated:
            return self.items
        note = problem(
            "file",
            f"more than {MAX_PROBLEMS} problems: only the first {MAX_PROBLEMS - 1} are listed",
            "too_many_problems",
        )
        return [*self.items[: MAX_PROBLEMS - 1], note]


def _short(value: str, limit: int = 40) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "…")


def decode(data: bytes) -> str:
    """UTF-8 (a BOM is dropped), or else cp932; ImportInvalid when it is neither."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportInvalid(
            [
                problem(
                    "file",
                    "this is an Excel workbook, not a CSV file: save it as "
                    "“CSV UTF-8 (comma delimited)” and upload that",
                    "not_csv",
                )
            ]
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportInvalid(
            [
                problem(
                    "file",
                    "UTF-16 text is not supported: save the file as "
                    "“CSV UTF-8 (comma delimited)” (or Shift_JIS CSV)",
                    "encoding",
                )
            ]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("cp932")
        except UnicodeDecodeError:
            line = data.count(b"\n", 0, utf8_error.start) + 1
            raise ImportInvalid(
                [
                    problem(
                        "file",
                        f"neither UTF-8 nor Shift_JIS (cp932) text: undecodable bytes on line "
                        f"{line}",
                        "encoding",
                    )
                ]
            ) from None


def convert(cell: str) -> Any:
    """A non-empty cell's value: int or float when it reads back the same, bool, or text."""
    lowered = cell.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    if _INT.fullmatch(cell):
        number = int(cell)
        if str(number) == cell and number in _INT64:
            return number
        return cell
    if _DECIMAL.fullmatch(cell):
        decimal = float(cell)
        if math.isfinite(decimal) and repr(decimal) == cell:
            return decimal
    return cell


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, its fields); lines are split at LF only, so a line number
    is the one an editor shows."""
    reader = csv.reader(io.StringIO(text, newline="\n"), strict=True)
    line = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            message = str(error)
            if "unexpected end of data" in message:
                message = "unclosed quote: the quoted field that starts here never ends"
            elif "new-line character" in message:
                message = (
                    "a lone carriage return (CR) in an unquoted field: lines must end in CRLF or LF"
                )
            elif "expected after" in message:
                message = (
                    'text after the closing quote of a quoted field (a " inside a quoted '
                    'field is written "")'
                )
            raise _CsvSyntax(line, message) from None
        yield line, fields
        line = reader.line_num + 1


class _CsvSyntax(Exception):
    def __init__(self, line: int, message: str):
        self.line = line
        self.message = message


def _header(fields: list[str], problems: _Problems) -> list[str]:
    first = fields[0] if fields else ""
    if first != "user_id":
        if _USER_ID.fullmatch(first):
            msg = "the header row is missing: line 1 must name the columns, user_id first"
        elif "\t" in first or ";" in first:
            msg = (
                f"the first column must be user_id, not {_short(first)}: columns must be "
                "separated by commas"
            )
        elif "user_id" in fields:
            msg = (
                f"the first column must be user_id, not {_short(first)} (user_id is column "
                f"{fields.index('user_id') + 1})"
            )
        else:
            msg = f"the first column must be user_id, not {_short(first)}"
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
                path, f"duplicate column name {_short(name)} (also column {seen[name]})", "header"
            )
        else:
            seen[name] = position
    return fields[1:]


def parse(data: bytes) -> ParsedImport:
    """Every row checked; ImportInvalid lists what is wrong (at most MAX_PROBLEMS)."""
    text = decode(data)
    if not text.strip():
        raise ImportInvalid(
            [
                problem(
                    "file",
                    "the file is empty: expected a header row starting with user_id",
                    "empty",
                )
            ]
        )
    problems = _Problems()
    rows: dict[str, dict[str, Any]] = {}
    first_line: dict[str, int] = {}
    names: list[str] = []
    try:
        records = _records(text)
        for line, fields in records:
            if line == 1:
                names = _header(fields, problems)
                if problems.items:
                    break  # rows checked against a wrong header would only add noise
                continue
            if not any(fields):
                continue  # blank line, or a row of empty cells: nothing to import
            _row(line, fields, names, rows, first_line, problems)
    except _CsvSyntax as error:
        try:
            problems.add(f"line {error.line}", error.message, "csv_syntax")
        except _TooMany:
            pass
    except _TooMany:
        pass
    if problems.items:
        raise ImportInvalid(problems.result())
    return ParsedImport(attributes=names, rows=rows)


def _row(
    line: int,
    fields: list[str],
    names: list[str],
    rows: dict[str, dict[str, Any]],
    first_line: dict[str, int],
    problems: _Problems,
) -> None:
    before = len(problems.items)
    user_id = fields[0]
    if not user_id:
        problems.add(f"line {line}.user_id", "user_id is empty", "missing")
    elif not _USER_ID.fullmatch(user_id):
        problems.add(
            f"line {line}.user_id",
            f"not a LINE user ID (U followed by 32 lowercase hex digits): {_short(user_id)}",
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


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON: 1, 1.0 and true are three different values."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[key], b[key]) for key in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


_FRIEND = Friend.__table__  # Core statements: executemany, without the ORM's per-row work


def _insert(dialect: str) -> Any:
    insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
    return insert(_FRIEND).on_conflict_do_nothing()


_UPDATE = (
    update(_FRIEND)
    .where(_FRIEND.c.user_id == bindparam("b_user_id"))
    .values(attributes=bindparam("b_attributes"), updated_at=bindparam("b_updated_at"))
)


async def _locked(session: AsyncSession, user_ids: list[str]) -> dict[str, tuple[dict, Any]]:
    """(attributes, created_at) of those friends that exist, locked until the commit."""
    found: dict[str, tuple[dict, Any]] = {}
    for chunk in _chunks(user_ids, _SELECT_CHUNK):
        statement = (
            select(Friend.user_id, Friend.attributes, Friend.created_at)
            .where(col(Friend.user_id).in_(chunk))
            .order_by(col(Friend.user_id))
            .with_for_update()
        )
        for user_id, attributes, created_at in await session.exec(statement):
            found[user_id] = (attributes if isinstance(attributes, dict) else {}, created_at)
    return found


async def count_existing(session: AsyncSession, user_ids: list[str]) -> int:
    total = 0
    for chunk in _chunks(user_ids, _SELECT_CHUNK):
        statement = select(func.count()).select_from(Friend).where(col(Friend.user_id).in_(chunk))
        total += (await session.exec(statement)).one()
    return total


async def import_attributes(
    session: AsyncSession,
    parsed: ParsedImport,
    *,
    dry_run: bool = False,
    commit: bool = True,
    only: list[str] | None = None,
) -> ImportResult:
    """Merge every row (or the rows of the friends `only` names: one chunk of an import) into
    its friend's attributes (creating friends, not following, that do not exist yet) and
    commit once (`commit=False`: the caller does); with `dry_run` only count, and write
    nothing."""
    user_ids = sorted(parsed.rows if only is None else only)  # one lock order for every import
    names = sorted(set(parsed.attributes))
    if dry_run:
        existing_count = await count_existing(session, user_ids)
        await session.rollback()
        return ImportResult(
            imported=len(user_ids),
            created=len(user_ids) - existing_count,
            updated=existing_count,
            attributes=names,
        )
    now = utcnow()
    existing = {user_id: row[0] for user_id, row in (await _locked(session, user_ids)).items()}
    missing = [user_id for user_id in user_ids if user_id not in existing]
    insert = _insert(session.bind.dialect.name)
    for chunk in _chunks(missing, _WRITE_CHUNK):
        rows = [
            {"user_id": user_id, "attributes": parsed.rows[user_id], "created_at": now}
            for user_id in chunk
        ]
        await session.exec(insert, params=rows)  # executemany, ON CONFLICT DO NOTHING
    # Which rows are ours: a friend created by someone else since we looked (PostgreSQL; SQLite
    # holds its write lock from the first statement on) has another created_at, and gets the
    # file's attributes merged like any existing friend.
    created: set[str] = set()
    for user_id, (attributes, created_at) in (await _locked(session, missing)).items():
        if created_at == now and _same(attributes, parsed.rows[user_id]):
            created.add(user_id)
        else:
            existing[user_id] = attributes
    changes = []
    for user_id, old in existing.items():
        merged = {**old, **parsed.rows[user_id]}
        if not _same(merged, old):
            changes.append({"b_user_id": user_id, "b_attributes": merged, "b_updated_at": now})
    for chunk in _chunks(changes, _WRITE_CHUNK):
        await session.exec(_UPDATE, params=chunk)  # executemany
    if commit:
        await session.commit()
    return ImportResult(
        imported=len(user_ids),
        created=len(created),
        updated=len(user_ids) - len(created),
        attributes=names,
        changed=sorted(created | {change["b_user_id"] for change in changes}),
    )
