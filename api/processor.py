"""Hands recorded webhook events to Temporal after the webhook has been answered.

Events are processed in lanes keyed by user, so one friend's follow and unfollow keep their
order while different friends proceed in parallel. Anything not processed (a crash, Temporal
down) is picked up again by a periodic sweep of the events table.

Where it runs (STEPLINE_WEBHOOK_PROCESSOR): in the API, which hands it each event it has just
recorded; or in the worker (`poll`), which reads the new events from the table a few times a
second, so that the API's event loop only answers webhooks. Several workers may take up one
event at the same moment: handling it twice changes nothing (as for a redelivery)."""

import asyncio
import logging
import time
import zlib

from api.friendship import FriendshipHandler
from core import logs, metrics
from store import webhooks
from store.batches import GroupCommit
from store.db import Database
from store.types import utcnow

log = logging.getLogger("stepline.webhooks")
LANES = 8
SWEEP_EVERY = 5.0
POLL_EVERY = 0.1  # seconds between reads of the new events, when the worker processes them


class WebhookProcessor:
    def __init__(self, db: Database, handler: FriendshipHandler, *, poll: bool = False):
        self.db, self.handler = db, handler
        self.poll = poll  # nobody submits: read new events every POLL_EVERY seconds
        self.lanes: list[asyncio.Queue[str]] = [asyncio.Queue() for _ in range(LANES)]
        self.tasks: list[asyncio.Task] = []
        self.queued: set[str] = set()
        # events handled at the same moment are marked so in one transaction
        self.processed = GroupCommit(db, webhooks.mark_processed_many, name="mark_processed")

    def submit(self, event_id: str, user_id: str | None) -> None:
        """Queue the event in its user's lane (once: a sweep skips what is queued already)."""
        if event_id in self.queued:
            return
        self.queued.add(event_id)
        lane = zlib.crc32((user_id or event_id).encode()) % LANES
        self.lanes[lane].put_nowait(event_id)

    async def start(self) -> None:
        self.tasks = [asyncio.create_task(self._lane(queue)) for queue in self.lanes]
        self.tasks.append(asyncio.create_task(self._sweeper()))

    async def stop(self, timeout: float = 10.0) -> None:
        """Cancel the lanes and the sweeper; a task that swallows its cancellation (a
        driver call under way) is left behind after `timeout` rather than hang the shutdown."""
        for task in self.tasks:
            task.cancel()
        if self.tasks:
            _done, stuck = await asyncio.wait(self.tasks, timeout=timeout)
            for task in stuck:
                log.warning("webhook processor task did not stop within %.0fs: %r", timeout, task)

    async def _lane(self, queue: asyncio.Queue[str]) -> None:
        while True:
            event_id = await queue.get()
            try:
                await self.process(event_id)
            finally:
                self.queued.discard(event_id)
                queue.task_done()

    async def _sweeper(self) -> None:
        first, swept = True, time.monotonic()
        while True:
            try:
                if self.poll and not first and time.monotonic() - swept < SWEEP_EVERY:
                    await self.sweep(everything=True, untried=True)
                else:  # also the events whose processing failed: every SWEEP_EVERY
                    await self.sweep(everything=first or self.poll)
                    swept = time.monotonic()
                first = False
            except Exception:  # the store may be down; try again on the next round
                log.exception("webhook sweep failed")
            await asyncio.sleep(POLL_EVERY if self.poll else SWEEP_EVERY)

    async def sweep(self, *, everything: bool = False, untried: bool = False) -> int:
        """Queue events left behind, in their users' lanes so that one friend's events are
        still handled one at a time; `everything` at start-up takes even the newest;
        `untried` leaves out those whose processing failed before."""
        cutoff = utcnow() if everything else utcnow() - webhooks.SETTLE_TIME
        async with self.db.reading() as session:
            pending = await webhooks.pending_events(
                session, received_before=cutoff, untried=untried
            )
        for event_id, user_id in pending:
            self.submit(event_id, user_id)
        return len(pending)

    async def drain(self) -> None:
        """Wait until every submitted event has been processed (tests, shutdown)."""
        await asyncio.gather(*(queue.join() for queue in self.lanes))

    async def process(self, event_id: str) -> None:
        async with self.db.reading() as session:
            event = await webhooks.get_event(session, event_id=event_id)
        if event is None or event.processed_at is not None:
            return
        try:
            with logs.bound(webhook_event_id=event_id, user_id=event.user_id):
                await self.handler.handle(event)
        except Exception as exc:
            log.warning("webhook event %s (%s) not handled yet: %s", event_id, event.type, exc)
            metrics.webhook_event(event.type, "failed")
            async with self.db.session() as session:
                await webhooks.mark_attempt_failed(session, event_id=event_id, error=str(exc))
            return
        await self.processed.submit(event_id)
        metrics.webhook_event(event.type, "processed")
