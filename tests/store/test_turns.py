"""SQLite writers take turns (store/turns.py): a turn ends with its transaction however the
transaction ends, readers never wait for it, and two processes alternate."""

import asyncio
import subprocess
import sys
import textwrap
import time

import pytest

from store import friends
from store.db import Database
from store.tables import Friend
from store.turns import turn_for
from tests.support.stack import user

from .test_store import NOW


@pytest.fixture
def sqlite_db(db):
    if db.dialect != "sqlite":
        pytest.skip("turns are for SQLite files")
    return db


async def write(db: Database, n: int) -> None:
    async with db.session() as s:
        await friends.record_follow(s, user_id=user(n), timestamp_ms=n, at=NOW)


async def test_the_turn_ends_however_the_transaction_ends(sqlite_db):
    await write(sqlite_db, 1)  # committed
    with pytest.raises(RuntimeError):
        async with sqlite_db.session() as s:
            await s.get(Friend, user(1))  # a transaction begun …
            raise RuntimeError("… and abandoned")
    async with sqlite_db.session() as s:  # … or cancelled while it runs
        task = asyncio.create_task(
            friends.record_follow(s, user_id=user(2), timestamp_ms=2, at=NOW)
        )
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    await asyncio.wait_for(write(sqlite_db, 3), 5)  # the next writer is not kept waiting
    assert not turn_for(sqlite_db.url.split("///", 1)[1]).thread_lock.locked()


async def test_a_reader_does_not_wait_for_a_writer(sqlite_db):
    await write(sqlite_db, 4)
    async with sqlite_db.session() as writing:
        await writing.get(Friend, user(4), with_for_update=True)  # holds the turn
        async with sqlite_db.reading() as reading:
            found = await asyncio.wait_for(reading.get(Friend, user(4)), 2)
        assert found is not None and found.following
        await writing.commit()


HOLDER = textwrap.dedent(
    """
    import sys, time
    from store.turns import turn_for
    turn = turn_for(sys.argv[1])
    turn.take()
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
    turn.give()
    """
)


def test_another_process_waits_for_the_turn_and_then_gets_it(tmp_path):
    path = str(tmp_path / "db.sqlite")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, path, "0.5"], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "holding"
    turn = turn_for(path)
    started = time.monotonic()
    turn.take()  # blocks until the other process gives the turn
    waited = time.monotonic() - started
    turn.give()
    holder.wait(5)
    assert 0.2 < waited < 5
