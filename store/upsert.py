"""INSERT … ON CONFLICT DO NOTHING for SQLite and PostgreSQL alike."""

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession


async def insert_ignore(
    session: AsyncSession, model: type[SQLModel], rows: list[dict[str, Any]], *, returning=None
) -> list[Any]:
    """Insert the rows that are not there yet; returns `returning` of the rows inserted."""
    if not rows:
        return []
    dialect = sqlite if session.bind.dialect.name == "sqlite" else postgresql
    statement = dialect.insert(model).values(rows).on_conflict_do_nothing()
    if returning is None:
        await session.exec(statement)
        return []
    result = await session.exec(statement.returning(returning))
    return list(result.scalars())


async def upsert(
    session: AsyncSession, model: type[SQLModel], rows: list[dict[str, Any]], *, keys: list[str]
) -> None:
    """Insert the rows, or update the other columns of rows whose `keys` already exist."""
    if not rows:
        return
    dialect = sqlite if session.bind.dialect.name == "sqlite" else postgresql
    statement = dialect.insert(model).values(rows)
    changes = {name: statement.excluded[name] for name in rows[0] if name not in keys}
    await session.exec(statement.on_conflict_do_update(index_elements=keys, set_=changes))
