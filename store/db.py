"""The async engine and sessions for SQLite (default) and PostgreSQL."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel.ext.asyncio.session import AsyncSession

from store.inline_sqlite import creator
from store.migrate import upgrade
from store.store_thread import StoreThread
from store.turns import BUSY_SECONDS, turn_for

R = TypeVar("R")


def async_url(database_url: str) -> str:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return url.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def _prepare_sqlite(engine: AsyncEngine, path: str | None) -> None:
    """WAL, and every transaction that may write begins IMMEDIATE, after taking its turn
    (store/turns.py); `Database.reading` sessions begin as plain WAL readers."""
    turn = turn_for(path)

    def end_turn(connection_info: dict) -> None:
        if connection_info.pop("turn", False):
            turn.give()

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, record):
        # SQLAlchemy's recipe: let SQLAlchemy issue BEGIN itself, as IMMEDIATE, so that two
        # processes writing the same file wait for each other instead of failing with "locked".
        dbapi_connection.isolation_level = None

        def take_turn() -> int:  # in the connection's driver thread, before BEGIN
            turn.take()
            record.info["turn"] = True  # marked here: a cancelled caller cannot leak it
            return 1

        dbapi_connection.create_function("stepline_take_turn", 0, take_turn)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get("stepline_reading"):
            connection.exec_driver_sql("BEGIN")  # a WAL reader: neither waits nor blocks
            return
        connection.exec_driver_sql("SELECT stepline_take_turn()")
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except Exception:
            end_turn(connection.info)
            raise

    # the turn ends with the transaction, however it ends
    for name in ("commit", "rollback"):
        event.listen(engine.sync_engine, name, lambda connection: end_turn(connection.info))
    for name in ("checkin", "close", "invalidate"):
        event.listen(engine.sync_engine.pool, name, lambda _c, record, *_: end_turn(record.info))


class Database:
    def __init__(self, database_url: str, *, writer_thread: bool = True, inline: bool = False):
        """`inline`: statements are made in the calling thread (store/inline_sqlite.py) —
        only for the writer thread's own store, whose loop does nothing else."""
        self.url = database_url
        url = make_url(database_url)
        self.dialect = url.get_backend_name()
        # on a SQLite file, the group commits' and the dispatcher's write transactions run on
        # a thread of their own (`writing`, store/store_thread.py), so that the write turn is
        # never held waiting for a busy loop
        self.writer: StoreThread | None = None
        if self.dialect == "sqlite":
            if url.database and url.database != ":memory:":
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            memory = url.database in (None, "", ":memory:")
            # a pool: opening a connection costs a driver thread, the file and the pragmas —
            # per session, that was most of a webhook's time under load (measured, bench/)
            pooling = (
                {"poolclass": NullPool}
                if memory
                else {"pool_size": 5, "max_overflow": 15, "pool_timeout": BUSY_SECONDS}
            )
            path = None if memory else str(Path(url.database).resolve())
            if inline and path is not None:
                pooling["async_creator"] = creator(path)
            self.engine = create_async_engine(async_url(database_url), **pooling)
            _prepare_sqlite(self.engine, path)
            self.reader = self.engine.execution_options(stepline_reading=True)
            if writer_thread and not memory:
                self.writer = StoreThread(
                    lambda: Database(database_url, writer_thread=False, inline=True)
                )
        else:
            self.engine = create_async_engine(
                async_url(database_url), pool_size=10, max_overflow=20, pool_pre_ping=True
            )
            self.reader = self.engine

    async def writing(self, work: Callable[["Database"], Awaitable[R]]) -> R:
        """`work(store)` where write transactions should run: on a SQLite file, on the writer
        thread with its own engine (store/store_thread.py); elsewhere, here."""
        if self.writer is None:
            return await work(self)
        return await self.writer.run(work)

    def sync_engines(self) -> list[Engine]:
        """Every engine this store writes through: its own and its writer thread's (for
        event listeners)."""
        engines = [self.engine.sync_engine]
        if self.writer is not None:
            engines.append(self.writer.store().engine.sync_engine)
        return engines

    async def migrate(self) -> None:
        """Bring the schema to the latest alembic revision (creates it on first run)."""
        await asyncio.to_thread(upgrade, self.url)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session that only reads: on SQLite it takes no write lock, so the hot reads
        (definitions, policy, a webhook event) never queue behind the writers."""
        async with AsyncSession(self.reader, expire_on_commit=False) as session:
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def close(self) -> None:
        if self.writer is not None:
            await asyncio.to_thread(self.writer.stop)
        await self.engine.dispose()
