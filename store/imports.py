"""Bulk import of friend attributes from a CSV file (an Excel export, say): parse and check
every row first (any problem: nothing is written), then merge them, a chunk of friends a
transaction (api/routes/imports.py), so that other writers never wait long.

The file: a header row whose first column is `user_id` and whose other columns name the
attributes; UTF-8 (with or without BOM) or else Shift_JIS (cp932, Japanese Excel); CRLF or LF;
quoting per RFC 4180. An empty cell leaves that attribute as it is; other cells become an int
(`27`, but `0123` stays text), a float (`1.5`), a bool (`true`/`false`, any case) or else a
string. Rows whose cells are all empty (blank lines, Excel's trailing `,,,`) are skipped."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.import_csv import collecting, decode, records
from store.import_problems import ImportInvalid, Problems, problem
from store.import_rows import header, row
from store.tables import Friend
from store.types import utcnow

_SELECT_CHUNK = 1000  # user ids per `IN (…)`
_WRITE_CHUNK = 5000  # rows per executemany INSERT or UPDATE


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
    problems = Problems()
    rows: dict[str, dict[str, Any]] = {}
    first_line: dict[str, int] = {}
    names: list[str] = []
    with collecting(problems):
        for line, fields in records(text):
            if line == 1:
                names = header(fields, problems)
                if problems.items:
                    break  # rows checked against a wrong header would only add noise
                continue
            if not any(fields):
                continue  # blank line, or a row of empty cells: nothing to import
            row(line, fields, names, rows, first_line, problems)
    return ParsedImport(attributes=names, rows=rows)


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
