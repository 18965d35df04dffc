"""Alembic, driven from code: the API and the worker upgrade the schema on start. Two
processes starting together take turns (a file lock for SQLite, an advisory lock in
migrations/env.py for PostgreSQL), so the second finds the schema already there. `at_head`:
is a store's schema the one this code expects (the API's /readyz, the worker's)."""

import fcntl
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import make_url

if TYPE_CHECKING:  # store/db.py imports this module
    from store.db import Database

_ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


@contextmanager
def _sqlite_lock(database_url: str):
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        yield
        return
    lock_path = Path(f"{url.database}.migrate-lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def upgrade(database_url: str) -> None:
    with _sqlite_lock(database_url):
        command.upgrade(alembic_config(database_url), "head")


@cache
def scripts() -> ScriptDirectory:
    """migrations/ (read once: the scripts do not change while a process runs)."""
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def script_heads() -> frozenset[str]:
    """The newest revision(s) under migrations/."""
    return frozenset(scripts().get_heads())


def newer(revision: str) -> bool:
    """A revision these scripts do not know: written by a newer release."""
    try:
        return scripts().get_revision(revision) is None
    except CommandError:  # "No such revision"
        return True


async def revisions(db: "Database") -> frozenset[str]:
    """The revision(s) the store's schema is at (none: no schema yet). Read with plain SQL:
    alembic's MigrationContext logs two lines each time, and the probes ask every 2 s."""

    def read(connection: Connection) -> frozenset[str]:
        if not inspect(connection).has_table("alembic_version"):
            return frozenset()
        return frozenset(
            connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        )

    async with db.reader.connect() as connection:
        return await connection.run_sync(read)


async def at_head(db: "Database") -> bool:
    """Can this code work on the store's schema: is it at the scripts' head — or ahead of it,
    migrated by a newer release during a rolling upgrade (migrations stay compatible with the
    release before, docs/DEPLOY.md)? Behind, it cannot: /readyz and the worker's say so."""
    found = await revisions(db)
    return found == script_heads() or bool(found) and all(newer(r) for r in found)
