"""Rows by key, many at once: one `IN (…)` statement for each few hundred keys, instead of a
statement for each (a batch of follows, of commands)."""

from collections.abc import Iterable
from typing import Any, TypeVar

from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

IN_CHUNK = 500  # keys in one `IN (…)`: well under SQLite's bound parameters
M = TypeVar("M", bound=SQLModel)


async def rows_by(
    session: AsyncSession, model: type[M], column: Any, keys: Iterable[Any], *, lock: bool = False
) -> dict[Any, M]:
    """The rows whose `column` is one of `keys`, by that key; `lock`: FOR UPDATE (PostgreSQL),
    the keys taken in one order so that two transactions locking the same cannot deadlock."""
    ordered = sorted(set(keys))
    found: dict[Any, M] = {}
    name = column.key
    for start in range(0, len(ordered), IN_CHUNK):
        statement = select(model).where(col(column).in_(ordered[start : start + IN_CHUNK]))
        if lock:
            statement = statement.with_for_update()
        found.update((getattr(row, name), row) for row in await session.exec(statement))
    return found
