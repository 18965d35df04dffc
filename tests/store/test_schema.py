"""The alembic migrations create exactly the schema the SQLModel tables describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import store.tables  # noqa: F401
from store.migrate import upgrade


def test_migrations_match_the_models(database_url):
    upgrade(database_url)
    upgrade(database_url)  # a second start finds nothing to do
    engine = create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
    engine.dispose()
