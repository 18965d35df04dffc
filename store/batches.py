"""Group commit: many small writes, one transaction.

On SQLite every write transaction takes the process's turn (store/turns.py) and costs several
event-loop hops (BEGIN IMMEDIATE, the statements, COMMIT, each in the driver's thread), so under
a burst the number of write transactions per second is the limit, not the work in them. A
`GroupCommit` lets callers `await writer.submit(item)`: one background task takes everything
queued (up to `max_batch`), applies it in ONE transaction with `apply(session, items)`, commits,
and only then answers each caller with its result.

- No added latency when idle: the first item is written as soon as the event loop gets to the
  writer's task; whatever arrives while a batch is being written goes into the next batch.
- A batch that fails is written again one item at a time, each in its own transaction, so only
  the caller of the bad item gets the exception (unless the database itself is the trouble, in
  which case every caller of the batch gets it at once rather than after many timeouts).
- The task starts on first use in the running event loop and ends when the queue is empty: the
  API and the worker have their own loops, tests run several, and each loop gets its own queue
  and task (a writer created in one loop keeps working in another).
- `apply` must not commit; it gets the items in the order they were submitted and returns one
  result per item, in the same order."""

import asyncio
import contextvars
import logging
import threading
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import exc as sa_exc
from sqlmodel.ext.asyncio.session import AsyncSession

from store.db import Database

T = TypeVar("T")
R = TypeVar("R")

MAX_BATCH = 200
log = logging.getLogger("stepline.batches")


@dataclass
class _Lane:
    """One event loop's queue and the task writing it."""

    queue: deque[tuple[Any, asyncio.Future]] = field(default_factory=deque)
    task: asyncio.Task | None = None


class GroupCommit(Generic[T, R]):
    def __init__(
        self,
        db: Database,
        apply: Callable[[AsyncSession, list[T]], Awaitable[Sequence[R]]],
        *,
        max_batch: int = MAX_BATCH,
        name: str = "group commit",
    ):
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.db, self.apply, self.max_batch, self.name = db, apply, max_batch, name
        self._lanes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Lane] = (
            weakref.WeakKeyDictionary()
        )
        self._guard = threading.Lock()  # loops of other threads may share the writer
        # what it has done (for tests and bench/): transactions committed, items in them
        self.batches = 0
        self.items = 0
        self.retried = 0  # batches that failed and were written again item by item

    async def submit(self, item: T) -> R:
        """Write `item` with whatever else is waiting; returns once its transaction has
        committed (its result), or raises the error writing it (alone) raised."""
        loop = asyncio.get_running_loop()
        lane = self._lane(loop)
        future: asyncio.Future = loop.create_future()
        lane.queue.append((item, future))
        if lane.task is None or lane.task.done():  # done: cancelled before it ever ran
            # a context of its own: the task outlives the caller (a request, an activity)
            lane.task = loop.create_task(
                self._drain(lane), name=f"{self.name} writer", context=contextvars.Context()
            )
        return await future

    async def close(self) -> None:
        """Wait until everything submitted in this event loop is written."""
        lane = self._lanes.get(asyncio.get_running_loop())
        while lane is not None and lane.task is not None and not lane.task.done():
            await asyncio.wait([lane.task])

    def _lane(self, loop: asyncio.AbstractEventLoop) -> _Lane:
        lane = self._lanes.get(loop)
        if lane is None:
            with self._guard:
                lane = self._lanes.setdefault(loop, _Lane())
        return lane

    async def _drain(self, lane: _Lane) -> None:
        try:
            while lane.queue:
                batch: list[tuple[Any, asyncio.Future]] = []
                while lane.queue and len(batch) < self.max_batch:
                    item, future = lane.queue.popleft()
                    if not future.done():  # a caller that gave up before its turn: skip it
                        batch.append((item, future))
                if batch:
                    await self._write(batch)
        finally:
            lane.task = None
            while lane.queue:  # only when this task is cancelled (its loop is closing)
                lane.queue.popleft()[1].cancel()

    async def _write(self, batch: list[tuple[Any, asyncio.Future]]) -> None:
        try:
            try:
                results = await self._transaction([item for item, _ in batch])
            except Exception as error:
                if len(batch) == 1 or _database_trouble(error):
                    for _, future in batch:
                        _fail(future, error)
                    return
                self.retried += 1
                log.warning(
                    "%s: a batch of %d failed (%s: %s); writing its items one by one",
                    self.name,
                    len(batch),
                    type(error).__name__,
                    error,
                )
                await self._one_by_one(batch)
                return
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
        except BaseException:  # cancelled mid-write: nobody may wait forever
            for _, future in batch:
                future.cancel()
            raise

    async def _one_by_one(self, batch: list[tuple[Any, asyncio.Future]]) -> None:
        for position, (item, future) in enumerate(batch):
            try:
                [result] = await self._transaction([item])
            except Exception as error:
                _fail(future, error)
                if _database_trouble(error):  # the rest would only wait for the same fate
                    for _, rest in batch[position + 1 :]:
                        _fail(rest, error)
                    return
            else:
                if not future.done():
                    future.set_result(result)

    async def _transaction(self, items: list[T]) -> list[R]:
        return await self.db.writing(lambda db: self._transaction_in(db, items))

    async def _transaction_in(self, db: Database, items: list[T]) -> list[R]:
        async with db.session() as session:
            results = list(await self.apply(session, items))
            if len(results) != len(items):
                raise RuntimeError(
                    f"{self.name}: apply returned {len(results)} results for {len(items)} items"
                )
            await session.commit()
        self.batches += 1
        self.items += len(items)
        return results


def _fail(future: asyncio.Future, error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)


def _database_trouble(error: BaseException) -> bool:
    """The database, not the data: unreachable, its pool exhausted, or (SQLite) the write
    turn not had within its timeout. Writing items one by one would not help."""
    if isinstance(error, sa_exc.TimeoutError | sa_exc.InterfaceError | ConnectionError):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        return isinstance(error, sa_exc.OperationalError) and "database is locked" in str(error)
    return False
