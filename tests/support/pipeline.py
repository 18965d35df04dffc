"""Test helpers for the change pipeline: act on a webhook event again (as a dispatcher whose
lease ran out would), and hold the dispatcher back (a burst, a crash) for a while."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlmodel import select, update

from store import outbox
from store.db import Database
from store.pipeline_tables import Operation
from store.tables import WebhookEvent


async def process_again(stack, webhook_event_id: str) -> None:
    """The webhook event evaluated once more, from scratch (not marked processed, its outbox
    row back): whatever it did the first time, it must not do twice."""
    async with stack.db.session() as session:
        await session.exec(
            update(WebhookEvent)
            .where(WebhookEvent.event_id == webhook_event_id)
            .values(processed_at=None)
        )
        row = await session.get(WebhookEvent, webhook_event_id)
        outbox.add(session, "webhook", {"event_id": webhook_event_id}, lane=row.user_id)
        await session.commit()
    await stack.settle()


@asynccontextmanager
async def dispatcher_stopped(stack) -> AsyncIterator[None]:
    """No dispatcher at work inside (what is recorded waits in the outbox); started again
    after, when it acts on everything that waited."""
    dispatcher = stack.dispatcher
    await dispatcher.stop()
    try:
        yield
    finally:
        await dispatcher.start()


class Recorded:
    """What the routes recorded as friends' data changed (triggers.record), in order: (the
        friends, sorted; the reason). A bulk change counts once, however many rows it takes (an
    import merged in chunks: once a chunk)."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], str]] = []


def record_changes(monkeypatch, *, reasons: tuple[str, ...] | None = None) -> Recorded:
    """Watch triggers.record for the rest of the test (they still do what they do)."""
    from triggers import record

    seen = Recorded()
    single, bulk = record.friends_changed, record.bulk_change

    def keep(user_ids, reason: str) -> None:
        if reasons is None or reason in reasons:
            seen.calls.append((sorted(dict.fromkeys(user_ids)), reason))

    def friends_changed(session, user_ids, *, reason, operation_id=None):
        ids = list(user_ids)
        if operation_id is None:
            keep(ids, reason)
        return single(session, ids, reason=reason, operation_id=operation_id)

    def bulk_change(session, user_ids, *, reason, operation=None):
        ids = list(user_ids)
        keep(ids, reason)
        return bulk(session, ids, reason=reason, operation=operation)

    monkeypatch.setattr(record, "friends_changed", friends_changed)
    monkeypatch.setattr(record, "bulk_change", bulk_change)
    return seen


async def waiting(stack) -> dict[str, int]:
    """The outbox's rows now, by kind."""
    async with stack.db.reading() as session:
        return (await outbox.pending(session)).by_kind


async def settled(db: Database, timeout: float = 30.0) -> None:
    """Until the outbox is empty: every change recorded so far acted on (by whichever
    dispatcher runs: the API's, or a worker's)."""
    deadline = asyncio.get_running_loop().time() + timeout
    pause = 0.002  # most changes are acted on within milliseconds: look again soon, then less
    while True:
        async with db.reading() as session:
            if await outbox.empty(session):
                return
            if asyncio.get_running_loop().time() > deadline:
                pending = await outbox.pending(session)
                raise AssertionError(
                    f"{pending.count} change(s) still waiting: {pending.by_kind}, "
                    f"{pending.last_error}"
                )
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.02)


class OperationsSince:
    """The operations made since `now()`: (action, friends or enrollments, status) each —
    what carried a change of friends' data (an upload…) to their journeys."""

    def __init__(self, stack, before: set[str]):
        self.stack, self.before = stack, before

    @classmethod
    async def now(cls, stack) -> "OperationsSince":
        async with stack.db.reading() as session:
            return cls(stack, set((await session.exec(select(Operation.id))).all()))

    async def calls(self) -> list[tuple[str, int, str]]:
        async with self.stack.db.reading() as session:
            found = (await session.exec(select(Operation).order_by(Operation.created_at))).all()
        return [(op.action, op.total, op.status) for op in found if op.id not in self.before]
