"""An aiosqlite connection whose calls are made at once, in the thread that awaits them.

aiosqlite hands every call to a driver thread of its own and waits for the answer on the
event loop: two thread switches and a loop turn a statement. On the writer thread
(store/store_thread.py) that is pure cost — its loop has nothing else to do while a
transaction holds the write turn, and its work runs one piece at a time — so there the
calls are made directly (docs/PERFORMANCE.md, step 30). Anywhere else a call would stall
the loop: use it only on a thread of its own."""

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Generator
from typing import Any

import aiosqlite

CHUNK = 64  # rows fetched a call when iterating a cursor


class _AtOnce:
    """Stands in for aiosqlite's queue to its driver thread: runs each call as it is put."""

    def put_nowait(self, item: tuple[asyncio.Future | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as error:  # noqa: BLE001 - handed to the awaiting caller
            if future is not None and not future.done():
                future.set_exception(error)
            return
        if future is not None and not future.done():
            future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    def __init__(self, connector: Callable[[], sqlite3.Connection]):
        super().__init__(connector, iter_chunk_size=CHUNK)
        self._tx = _AtOnce()  # type: ignore[assignment]

    def __await__(self) -> Generator[Any, None, aiosqlite.Connection]:
        return self._connect().__await__()  # no driver thread to start


def creator(path: str) -> Callable[[], Awaitable[aiosqlite.Connection]]:
    """An `async_creator` for SQLAlchemy: inline connections to the file at `path`."""

    async def connect() -> aiosqlite.Connection:
        return await InlineConnection(lambda: sqlite3.connect(path, check_same_thread=False))

    return connect
