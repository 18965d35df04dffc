"""The same messages due to many friends at once go as LINE multicasts (up to 500 friends a
request) instead of a push each: sends of one step that arrive within WINDOW of each other
(enrollments waking together) are put in one batch, recorded (store/multicasts.py), then sent
with the batch's own retry key. Only messages with nothing of the friend's own in them (no
placeholder, no tracked link, no survey token) are batched; caps, holds, blocks and the quota
were decided per friend before (the send gate), and the rows stay per friend.

A send that finds its row in a batch already (an attempt after a 5xx, a timeout, a worker gone)
sends that batch's request again: LINE answers 409 if it took it, so nobody gets it twice. A
batch LINE refuses (a 4xx) is let go and each of its friends is pushed on their own."""

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio.exceptions import ApplicationError

from core import metrics
from core.links import tracked_urls
from core.personalize import placeholders
from domain.steps import MessageStep, SurveyStep
from line.client import LinePusher, LineRejected
from scenarios.runs import SendRequest
from store import multicasts
from store.db import Database
from store.multicasts import MAX_RECIPIENTS, MulticastBatch
from store.tables import Delivery
from triggers import record

WINDOW = 0.05  # seconds the first send of a step waits for others due with it


def elsewhere() -> ApplicationError:
    """A delivery another attempt of it put in a request at the same time: the next attempt
    sends that request (retried; never a request of its own)."""
    return ApplicationError(
        "another attempt of this delivery put it in a request at the same moment",
        type="InAnotherRequest",
        next_retry_delay=timedelta(seconds=1),
    )


class _Alone:
    """Not multicast: push it on its own."""


ALONE = _Alone()

Key = tuple[str, int, str, bool]  # scenario, version, step, silent


@dataclass
class _Queue:
    messages: list[dict]
    waiting: list[tuple[Delivery, asyncio.Future]] = field(default_factory=list)


class Multicaster:
    def __init__(
        self, db: Database, line: LinePusher, *, enabled: bool = True, expedite: Any = None
    ):
        self.db, self.line, self.expedite = db, line, expedite
        self.enabled = enabled  # new batches; a batch recorded before is always sent again
        self.queues: dict[Key, _Queue] = {}
        self.resends: dict[str, asyncio.Future] = {}  # batch id → its request under way

    async def send(self, key: Key, delivery: Delivery, messages: list[dict]) -> str | _Alone | None:
        """LINE's request id once the batch holding this delivery was taken; ALONE when it
        goes as a push of its own (nobody due with it, or LINE refused the batch). LINE's
        other errors are raised, to be tried again (the batch is recorded: `resend`)."""
        if delivery.batch is not None:
            return await self.resend(delivery.batch, messages)
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()
        queue = self.queues.get(key)
        if queue is None:
            queue = self.queues[key] = _Queue(messages)
            loop.create_task(self._gather(key, queue), name=f"multicast {key[2]}")
        queue.waiting.append((delivery, future))
        return await future

    async def _gather(self, key: Key, queue: _Queue) -> None:
        await asyncio.sleep(WINDOW)
        del self.queues[key]
        waiting = [(d, f) for d, f in queue.waiting if not f.done()]
        for start in range(0, len(waiting), MAX_RECIPIENTS):
            chunk = waiting[start : start + MAX_RECIPIENTS]
            if len(chunk) == 1:
                chunk[0][1].set_result(ALONE)
                continue
            try:
                answer = await self._first(key, [d for d, _ in chunk], queue.messages)
            except Exception as error:  # each send raises it (and is tried again)
                for _, future in chunk:
                    if not future.done():
                        future.set_exception(error)
                continue
            for delivery, future in chunk:
                if future.done():
                    continue
                if delivery.batch is None:  # another attempt of it put it in a request
                    future.set_exception(elsewhere())
                else:
                    future.set_result(answer)

    async def _first(
        self, key: Key, deliveries: list[Delivery], messages: list[dict]
    ) -> str | _Alone | None:
        scenario_id, version, step_id, silent = key
        async with self.db.session() as session:
            batch = await multicasts.record(
                session,
                deliveries,
                scenario_id=scenario_id,
                version=version,
                step_id=step_id,
                silent=silent,
            )
            await session.commit()
        if not batch.user_ids:  # every one of them is in another request already
            return ALONE
        return await self._request(batch, batch.user_ids, messages)

    async def alone(self, delivery: Delivery) -> None:
        """Before a lone push: the row put in it (its own retry key as the request); raises
        when another attempt of it put it in a request first (the next attempt sends that)."""
        async with self.db.session() as session:
            taken = await multicasts.claim(session, [delivery], delivery.retry_key)
            await session.commit()
        if not taken:
            raise elsewhere()

    async def resend(self, batch_id: str, messages: list[dict]) -> str | _Alone | None:
        """The batch's request again, for those of it still waiting (once at a time in this
        process: the others of the batch wait for its answer)."""
        under_way = self.resends.get(batch_id)
        if under_way is not None:
            return await asyncio.shield(under_way)
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        future.add_done_callback(lambda done: done.cancelled() or done.exception())  # read
        self.resends[batch_id] = future
        try:
            async with self.db.reading() as session:
                batch = await multicasts.get(session, batch_id)
                rows = await multicasts.rows_of(session, batch_id)
            waiting = [row.user_id for row in rows if row.status == "reserved"]
            if batch is None or not waiting:  # taken and recorded meanwhile
                answer = batch.request_id if batch is not None else ALONE
            else:
                answer = await self._request(batch, waiting, messages)
            future.set_result(answer)
        except BaseException as error:
            future.set_exception(error)
            raise
        finally:
            del self.resends[batch_id]
        return answer

    async def _request(
        self, batch: MulticastBatch, user_ids: list[str], messages: list[dict]
    ) -> str | _Alone | None:
        try:
            request_id = await self.line.multicast(
                to=user_ids, messages=messages, retry_key=batch.id, silent=batch.silent
            )
        except LineRejected:
            metrics.MULTICASTS.labels(outcome="refused").inc()
            async with self.db.session() as session:
                await multicasts.let_go(session, batch.id)
                await session.commit()
            return ALONE
        except Exception:
            metrics.MULTICASTS.labels(outcome="failed").inc()
            raise
        metrics.MULTICASTS.labels(outcome="sent").inc()
        metrics.MULTICAST_RECIPIENTS.inc(len(user_ids))
        async with self.db.session() as session:
            await multicasts.sent(session, batch, request_id)
            rows = await record.delivered(session, list(batch.user_ids))
            await session.flush()  # their seqs
            changes = [row.seq for row in rows.values() if row.seq] if rows else []
            await session.commit()
        if changes and self.expedite is not None:  # a `delivered` audience's trigger: now
            await self.expedite(changes)
        return request_id


def batchable(step: MessageStep | SurveyStep, request: SendRequest) -> bool:
    """Whether the step's messages are the same for every friend (no placeholder, no tracked
    link, no survey token), so that friends due them together may share a multicast."""
    if isinstance(step, SurveyStep) or request.test or request.reply:
        return False
    return not placeholders(step.messages) and not (
        step.track_links and tracked_urls(step.messages)
    )
