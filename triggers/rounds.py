"""The dispatcher's rounds side by side (triggers/dispatch.py), each asleep while there is
nothing for it: woken by a commit in this process that wrote outbox rows, or by the one look
at the outbox a tick (`POLL_EVERY`) that finds a row that may be taken now — written by
another process (an API, a worker, the CLI), or whose retry fell due. One read a tick for all
the rounds rather than a claim's read each: an idle dispatcher's six rounds read the outbox
sixty times a second, an eighth of a core doing nothing (docs/PERFORMANCE.md)."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from store import outbox
from store.db import Database
from store.outbox_claims import due
from triggers.away import PROBE_EVERY
from triggers.leases import ended

log = logging.getLogger("stepline.dispatch")
POLL_EVERY = 0.1  # seconds between looks at the outbox when nothing woke the dispatcher
# a round asleep looks for itself after this even if nothing woke it (the look failing)
ASLEEP_AT_MOST = 5.0
Round = Callable[[], Awaitable[int]]  # does a round's work; how many rows it took


class Rounds:
    def __init__(self, db: Database, *, poll_every: float = POLL_EVERY):
        self.db, self.poll_every = db, poll_every
        self._wakes: list[asyncio.Event] = []
        self._tasks: list[asyncio.Task] = []
        self._stopping = False  # stop(): no new round
        self._unlisten: Callable[[], None] | None = None

    def start(self, rounds: list[tuple[str, Round]]) -> None:
        loop = asyncio.get_running_loop()
        self._wakes = [asyncio.Event() for _ in rounds]

        def wake() -> None:  # any thread: a commit that wrote outbox rows
            for event in self._wakes:
                loop.call_soon_threadsafe(event.set)

        self._unlisten = outbox.on_commit(wake)
        self._tasks = [
            asyncio.create_task(self._loop(round_, event), name=name)
            for (name, round_), event in zip(rounds, self._wakes, strict=True)
        ]
        self._tasks.append(asyncio.create_task(self._look(), name="dispatch look"))

    @property
    def running(self) -> bool:
        return any(not task.done() for task in self._tasks)

    async def stop(self, timeout: float) -> None:
        """No new round; those under way may finish within `timeout` (then cancelled)."""
        if self._unlisten is not None:
            self._unlisten()
        self._stopping = True
        self._wake_all()
        await ended(self._tasks, timeout)
        self._stopping, self._tasks = False, []

    def _wake_all(self) -> None:
        for event in self._wakes:
            event.set()

    async def _loop(self, round_: Round, wake: asyncio.Event) -> None:
        # a cancel may be swallowed on the way (a session's cleanup raises its own): stop anyway
        while not (self._stopping or asyncio.current_task().cancelling()):
            wake.clear()
            try:
                busy = await round_()
            except Exception:  # the store may be down: try again a little later
                if asyncio.current_task().cancelling():
                    break
                log.exception("dispatch round failed")
                await asyncio.sleep(PROBE_EVERY)
                continue
            if busy:
                await asyncio.sleep(0)  # others' turn, then straight on
                continue
            with contextlib.suppress(TimeoutError):  # not wait_for: 3.11's may eat a cancel
                async with asyncio.timeout(ASLEEP_AT_MOST):
                    await wake.wait()
        if not self._stopping:
            raise asyncio.CancelledError

    async def _look(self) -> None:
        while not (self._stopping or asyncio.current_task().cancelling()):
            await asyncio.sleep(self.poll_every)
            try:
                async with self.db.reading() as session:
                    found = await due(session, limit=1)  # any row, of any kind
            except Exception as exc:  # the store away: the rounds find out for themselves
                log.debug("the outbox could not be looked at: %s", exc)
                continue
            if found:
                self._wake_all()
