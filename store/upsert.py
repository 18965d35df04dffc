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
