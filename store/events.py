"""Web-traffic and commerce events (`POST /events`), and the friend's postbacks and messages
recorded from LINE's webhooks (once per webhook event)."""

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.lookups import IN_CHUNK
from store.tables import Event
from store.types import utcnow
from store.upsert import insert_ignore


async def record_event(
    session: AsyncSession,
    *,
    user_id: str,
    name: str,
    properties: dict[str, Any],
    occurred_at: datetime,
    commit: bool = True,
) -> Event:
    """`commit=False`: flushed (its `seq` known), committed by the caller."""
    event = Event(user_id=user_id, name=name, properties=properties, occurred_at=occurred_at)
    session.add(event)
    if commit:
        await session.commit()  # `seq` is known from the insert; no read after the commit
    else:
        await session.flush()
    return event


async def last_seq(session: AsyncSession, *, user_id: str) -> int:
    """The newest event of this friend so far (0: none): what "since now" means for events."""
    return (await last_seqs(session, [user_id]))[user_id]


async def last_seqs(session: AsyncSession, user_ids: list[str]) -> dict[str, int]:
    """`last_seq` of each of these friends, one statement for them all."""
    ids = sorted(set(user_ids))
    seqs = dict.fromkeys(ids, 0)
    for start in range(0, len(ids), IN_CHUNK):
        statement = (
            select(Event.user_id, func.max(Event.seq))
            .where(col(Event.user_id).in_(ids[start : start + IN_CHUNK]))
            .group_by(Event.user_id)
        )
        seqs.update((user_id, seq or 0) for user_id, seq in await session.exec(statement))
    return seqs


async def record_once(
    session: AsyncSession,
    *,
    webhook_event_id: str,
    user_id: str,
    name: str,
    properties: dict[str, Any],
    occurred_at: datetime,
) -> tuple[int, bool]:
    """The event of a LINE webhook event, inserted unless it is there already (the webhook
    event processed again after a crash); no commit. Returns (its seq, whether it is new)."""
    row = {
        "webhook_event_id": webhook_event_id,
        "user_id": user_id,
        "name": name,
        "properties": properties,
        "occurred_at": occurred_at,
        "recorded_at": utcnow(),
    }
    inserted = await insert_ignore(session, Event, [row], returning=Event.seq)
    if inserted:
        return inserted[0], True
    statement = select(Event.seq).where(Event.webhook_event_id == webhook_event_id)
    return (await session.exec(statement)).one(), False
