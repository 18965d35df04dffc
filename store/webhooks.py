"""LINE webhook events, recorded before the webhook is answered (with their outbox rows: the
durable hand-off, triggers/record.py) and marked once handled; `webhookEventId` is the key
that makes redeliveries harmless."""

from datetime import UTC, datetime

from sqlalchemy import bindparam, func
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from store import friends
from store.lookups import IN_CHUNK
from store.tables import WebhookEvent
from store.types import utcnow
from store.upsert import insert_ignore

ROWS_PER_INSERT = 500  # 7 columns a row: well under SQLite's 32,766 bound parameters


async def record_events(session: AsyncSession, *, rows: list[dict]) -> list[str]:
    """Insert the events not seen before; returns the ids that are new, in order."""
    fresh = await insert_events(session, rows=rows)
    await session.commit()
    return fresh


async def insert_events(session: AsyncSession, *, rows: list[dict]) -> list[str]:
    """`record_events` in the caller's transaction (which commits it)."""
    fresh: set[str] = set()
    for start in range(0, len(rows), ROWS_PER_INSERT):
        chunk = rows[start : start + ROWS_PER_INSERT]
        fresh.update(
            await insert_ignore(session, WebhookEvent, chunk, returning=WebhookEvent.event_id)
        )
    return [row["event_id"] for row in rows if row["event_id"] in fresh]


async def acknowledge(session: AsyncSession, requests: list[list[dict]]) -> list[list[str]]:
    """What answering webhooks commits, for several requests in one transaction (the group
    commit of api/routes/webhooks.py): each request's events, and the unfollows among the
    fresh ones applied to their friends, so that a block holds from the moment LINE is
    answered. Returns each request's fresh ids in its order; an id that several requests
    carry is fresh for the first of them only (as if they had been recorded one by one)."""
    owner: dict[str, int] = {}
    rows: list[dict] = []
    for index, request in enumerate(requests):
        for row in request:
            if row["event_id"] not in owner:
                owner[row["event_id"]] = index
                rows.append(row)
    fresh = await insert_events(session, rows=rows)
    answers: list[list[str]] = [[] for _ in requests]
    for event_id in fresh:
        answers[owner[event_id]].append(event_id)
    fresh_ids = set(fresh)
    unfollows = [
        row
        for row in rows
        if row["event_id"] in fresh_ids and row["type"] == "unfollow" and row["user_id"]
    ]
    # friends in one order (one friend's unfollows keep theirs): two API processes locking the
    # same friends in one transaction each cannot deadlock on PostgreSQL
    for row in sorted(unfollows, key=lambda row: row["user_id"]):
        await apply_unfollow(session, user_id=row["user_id"], timestamp_ms=row["timestamp_ms"])
    return answers


async def apply_unfollow(
    session: AsyncSession, *, user_id: str, timestamp_ms: int
) -> friends.FollowChange:
    """LINE's unfollow (made at `timestamp_ms`) applied to its friend, in the caller's
    transaction: the one way a block is recorded — as the webhook is answered (`acknowledge`)
    and again when the dispatcher acts on the event (triggers/friendship.py), where it changes
    nothing new and says whether it still holds (`applied`: no newer follow came first)."""
    return await friends.record_unfollow(
        session,
        user_id=user_id,
        timestamp_ms=timestamp_ms,
        at=datetime.fromtimestamp(timestamp_ms / 1000, UTC),
        commit=False,
    )


async def get_event(session: AsyncSession, *, event_id: str) -> WebhookEvent | None:
    return await session.get(WebhookEvent, event_id)


async def last_unfollows(session: AsyncSession, user_ids: list[str]) -> dict[str, int]:
    """The newest unfollow received (processed or not) of each of these users that has one,
    its timestamp in ms, one statement for them all: a follow older than that block is over
    already, whatever order they arrive in."""
    ids = sorted(set(user_ids))
    newest: dict[str, int] = {}
    for start in range(0, len(ids), IN_CHUNK):
        statement = (
            select(WebhookEvent.user_id, func.max(WebhookEvent.timestamp_ms))
            .where(
                col(WebhookEvent.user_id).in_(ids[start : start + IN_CHUNK]),
                WebhookEvent.type == "unfollow",
            )
            .group_by(WebhookEvent.user_id)
        )
        newest.update((user_id, ms) for user_id, ms in await session.exec(statement))
    return newest


async def mark_processed_many(session: AsyncSession, event_ids: list[str]) -> list[None]:
    """These events are handled: one UPDATE for them all, no commit."""
    table = WebhookEvent.__table__
    statement = (
        update(table)
        .where(table.c.event_id == bindparam("id"))
        .values(processed_at=utcnow(), attempts=table.c.attempts + 1, last_error=None)
    )
    await session.exec(statement, params=[{"id": event_id} for event_id in event_ids])
    return [None] * len(event_ids)
