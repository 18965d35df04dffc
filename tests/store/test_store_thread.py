"""The writer thread (store/store_thread.py): work runs on a loop of its own with a store of
its own, in the caller's context; errors and cancels cross over; stop closes its store."""

import asyncio
import contextvars
import threading

import pytest
from sqlmodel import select

from store.db import Database
from store.store_thread import CALLER, StoreThread
from store.tables import Friend
from store.upsert import insert_ignore
from tests.support.stack import user

MARK: contextvars.ContextVar[str] = contextvars.ContextVar("mark", default="none")


class Store:
    def __init__(self):
        self.closed = False

    async def close(self) -> None:
        self.closed = True


async def test_work_runs_on_the_thread_in_the_callers_context():
    thread = StoreThread(Store)
    MARK.set("the caller's")
    here = threading.get_ident()

    async def work(store: Store):
        return threading.get_ident(), MARK.get(), CALLER.get(), store

    try:
        ident, mark, caller, store = await thread.run(work)
    finally:
        await asyncio.to_thread(thread.stop)
    assert ident != here and mark == "the caller's" and caller is asyncio.current_task()
    assert store.closed  # stop closed the thread's own store


async def test_work_asking_the_thread_for_more_work_gets_it_at_once():
    thread = StoreThread(Store)

    async def inner(store: Store):
        return threading.get_ident(), store

    async def outer(store: Store):
        return threading.get_ident(), await thread.run(inner), store

    try:
        ident, (inner_ident, inner_store), store = await asyncio.wait_for(thread.run(outer), 5)
    finally:
        await asyncio.to_thread(thread.stop)
    assert ident == inner_ident != threading.get_ident() and inner_store is store


async def test_errors_and_cancels_cross_over():
    thread = StoreThread(Store)
    began, cancelled = threading.Event(), threading.Event()

    async def failing(_store):
        raise ValueError("refused")

    async def slow(_store):
        began.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    try:
        with pytest.raises(ValueError, match="refused"):
            await thread.run(failing)
        waiting = asyncio.create_task(thread.run(slow))
        await asyncio.to_thread(began.wait, 5)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert await asyncio.to_thread(cancelled.wait, 5)
    finally:
        await asyncio.to_thread(thread.stop)


async def test_a_sqlite_files_writes_go_through_its_writer_thread(tmp_path):
    db = Database(f"sqlite:///{tmp_path}/s.db")
    await db.migrate()
    assert Database("sqlite://").writer is None  # in memory: one engine, one loop
    try:

        async def write(store: Database) -> int:
            async with store.session() as session:
                await insert_ignore(session, Friend, [{"user_id": user(1), "attributes": {}}])
                await session.commit()
            return threading.get_ident()

        assert await db.writing(write) != threading.get_ident()
        async with db.reading() as session:
            assert (await session.exec(select(Friend.user_id))).all() == [user(1)]
    finally:
        await db.close()
    assert db.writer._thread is None  # stopped with the store


async def test_work_under_way_when_it_stops_is_cancelled_not_left_waiting():
    thread = StoreThread(Store)
    began = threading.Event()

    async def endless(_store):
        began.set()
        await asyncio.sleep(3600)

    waiting = asyncio.create_task(thread.run(endless))
    await asyncio.to_thread(began.wait, 5)
    await asyncio.to_thread(thread.stop)
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(waiting, 5)


async def test_the_writer_threads_statements_are_made_in_it_one_piece_of_work_at_a_time(tmp_path):
    """No driver thread of aiosqlite's behind the writer thread (store/inline_sqlite.py); many
    callers at once each get their transaction, and one that fails gives up the write turn."""
    db = Database(f"sqlite:///{tmp_path}/s.db")
    await db.migrate()
    inside: list[int] = []

    def write(n: int):
        async def work(store: Database) -> int:
            async with store.session() as session:
                inside.append(n)
                await insert_ignore(session, Friend, [{"user_id": user(n), "attributes": {}}])
                await asyncio.sleep(0)  # a turn of the loop mid-transaction: nobody else's
                assert inside[-1] == n
                if n == 7:
                    raise ValueError("refused")
                await session.commit()
            return threading.get_ident()

        return work

    try:
        answers = await asyncio.gather(
            *(db.writing(write(n)) for n in range(20)), return_exceptions=True
        )
        assert isinstance(answers[7], ValueError)
        assert len({a for a in answers if not isinstance(a, Exception)}) == 1  # the thread
        drivers = [t for t in threading.enumerate() if "_connection_worker" in t.name]
        assert drivers == []
        async with db.reading() as session:
            stored = set((await session.exec(select(Friend.user_id))).all())
        assert stored == {user(n) for n in range(20) if n != 7}
    finally:
        await db.close()
