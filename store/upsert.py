"""INSERT … ON CONFLICT DO NOTHING for SQLite and PostgreSQL alike.

Without RETURNING the statement goes to the table itself with the rows as executemany
parameters: one statement whatever the number of rows, compiled once and cached (a multi-row
VALUES on the ORM entity was compiled afresh on every call, the hottest path of a waking
enrollment)."""

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession


def _dialect(session: AsyncSession):
    return sqlite if session.bind.dialect.name == "sqlite" else postgresql


async def insert_ignore(
    session: AsyncSession, model: type[SQLModel], rows: list[dict[str, Any]], *, returning=None
) -> list[Any]:
    """Insert the rows that are not there yet; returns `returning` of the rows inserted."""
    if not rows:
        return []
    if returning is None:
        statement = _dialect(session).insert(model.__table__).on_conflict_do_nothing()
        await session.exec(statement, params=rows)
        return []
    statement = _dialect(session).insert(model).values(rows).on_conflict_do_nothing()
    result = await session.exec(statement.returning(returning))
    return list(result.scalars())


async def upsert(
    session: AsyncSession, model: type[SQLModel], rows: list[dict[str, Any]], *, keys: list[str]
) -> None:
    """Insert the rows, or update the other columns of rows whose `keys` already exist."""
    if not rows:
        return
    statement = _dialect(session).insert(model.__table__)
    changes = {name: statement.excluded[name] for name in rows[0] if name not in keys}
    await session.exec(
        statement.on_conflict_do_update(index_elements=keys, set_=changes), params=rows
    )
