"""A thread with an event loop and an engine of its own, for the transactions that hold
SQLite's write turn (store/turns.py) for many callers at once: the group commits
(store/batches.py).

On the caller's event loop, a transaction waits for that loop between any two statements
(each statement is a hop to the driver's thread and back); in a worker running hundreds of
workflow tasks, or an API answering a burst, that wait was most of the transaction's length
— with the file's one write turn held all along, so that every other process waited too
(docs/PERFORMANCE.md). On this thread's loop there is nothing else to wait for; its store
makes its statements in this thread (store/inline_sqlite.py), and its work runs one piece at
a time."""

import asyncio
import contextvars
import threading
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

R = TypeVar("R")
# the task a piece of work runs for (in the caller's loop), seen from inside the work
CALLER: contextvars.ContextVar[asyncio.Task | None] = contextvars.ContextVar(
    "stepline_store_caller", default=None
)
STOP_WITHIN = 10.0  # seconds `stop` waits for the thread to close its engine


class Closable(Protocol):
    async def close(self) -> None: ...


class StoreThread:
    def __init__(self, open_store: Callable[[], Any], name: str = "stepline store"):
        self.open_store, self.name = open_store, name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._store: Any = None
        self._thread: threading.Thread | None = None
        self._guard = threading.Lock()
        self._one: asyncio.Lock | None = None

    async def run(self, work: Callable[[Any], Awaitable[R]]) -> R:
        """`work(store)` on the thread's loop, with the thread's own store, in the caller's
        context (its log ids; CALLER says whose it is); its result or its error. Cancelling
        the caller cancels the work."""
        loop = self._started()
        if asyncio.get_running_loop() is loop:  # work of the thread's own asking for more:
            return await work(self._store)  # it already has the thread (waiting would not end)
        context = contextvars.copy_context()
        context.run(CALLER.set, asyncio.current_task())
        done = asyncio.run_coroutine_threadsafe(self._call(work, context), loop)
        return await asyncio.wrap_future(done)

    def store(self) -> Any:
        """The thread's own store (the thread started if it was not)."""
        self._started()
        return self._store

    def stop(self) -> None:
        """Close the thread's store and end the thread (blocking: call it from a thread)."""
        with self._guard:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(STOP_WITHIN)

    def _started(self) -> asyncio.AbstractEventLoop:
        with self._guard:
            if self._loop is None:
                ready = threading.Event()
                self._thread = threading.Thread(
                    target=self._serve, args=(ready,), name=self.name, daemon=True
                )
                self._thread.start()
                ready.wait()
            assert self._loop is not None
            return self._loop

    def _serve(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._store = self.open_store()
        self._one = asyncio.Lock()
        self._loop = loop
        ready.set()
        try:
            loop.run_forever()
            # work still under way when told to stop: cancelled, so that no caller waits for
            # an answer that will never come
            left = asyncio.all_tasks(loop)
            for task in left:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
            loop.run_until_complete(self._store.close())
        finally:
            loop.close()

    async def _call(self, work: Callable[[Any], Awaitable[R]], context: contextvars.Context) -> R:
        # one piece of work at a time: the store's statements are made in this thread
        # (store/inline_sqlite.py), so a second piece waiting for the write turn that the
        # first holds would stop the thread, and the first with it
        assert self._one is not None
        async with self._one:
            return await asyncio.get_running_loop().create_task(work(self._store), context=context)
