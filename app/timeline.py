"""A friend's timeline (`GET /friends/{user_id}/timeline`, the dashboard's friend page, and
`stepline friend show` through the API): the store's records, what each running enrollment's
workflow says about itself now, put together (store/timeline.py)."""

from datetime import datetime
from typing import Any

from temporalio.client import Client

from app.errors import NotFound
from store import timeline, timeline_records
from store.db import Database
from store.timeline_records import Records
from triggers.temporal import query_enrollments

QUERY_TIMEOUT = 2.0  # seconds a running enrollment's query may take before the store answers


async def told(
    temporal: Client, records: Records, *, limit: int, before: datetime | None = None
) -> dict[str, Any]:
    """The FriendTimeline of these records, each live enrollment asked (for up to
    QUERY_TIMEOUT) what only its workflow knows."""
    answers = (
        await query_enrollments(temporal, records.to_ask, timeout=QUERY_TIMEOUT)
        if records.to_ask
        else {}
    )
    return timeline.build(records, answers, limit=limit, before=before)


async def friend_timeline(
    db: Database, temporal: Client, user_id: str, *, limit: int, before: datetime | None = None
) -> dict[str, Any]:
    """The newest `limit` entries (at or before `before`) of the friend's timeline."""
    async with db.reading() as session:  # no write turn held while Temporal answers
        records = await timeline_records.read(session, user_id=user_id, limit=limit, before=before)
    if records is None:
        raise NotFound(f"no friend {user_id}")
    return await told(temporal, records, limit=limit, before=before)
