"""Changes evaluated against the store: what each kind of change means for journeys, written
as commands in the transaction that takes the change from the outbox (triggers/dispatch.py)."""

from dataclasses import dataclass, field

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import metrics
from line.profiles import Fetched
from store import operations
from store.db import Database
from store.lookups import rows_by
from store.tables import WebhookEvent
from triggers import record
from triggers.changes import FriendChanges
from triggers.friendship import Friendship
from triggers.kinds import (
    Delivered,
    EventRecorded,
    FriendsChanged,
    Kind,
    WebhookBatch,
    WebhookReceived,
)


@dataclass
class Prepared:
    """What a batch of changes needs from outside the store, fetched before its transaction
    (with none open): LINE's profiles of the friends who follow."""

    profiles: dict[str, Fetched] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)  # webhook event id → its type

    def count(self, item: Kind, outcome: str) -> None:
        """A webhook event processed, or failed (tried again): /metrics."""
        if isinstance(item, WebhookReceived):
            metrics.webhook_event(self.types.get(item.event_id), outcome)


class Evaluator:
    def __init__(self, *, db: Database, friendship: Friendship, changes: FriendChanges):
        self.db, self.friendship, self.changes = db, friendship, changes

    async def prepare(self, items: list[Kind]) -> Prepared:
        ids = [item.event_id for item in items if isinstance(item, WebhookReceived)]
        if not ids:
            return Prepared()
        async with self.db.reading() as session:
            events = list(
                await session.exec(select(WebhookEvent).where(col(WebhookEvent.event_id).in_(ids)))
            )
        return Prepared(
            profiles=await self.friendship.profiles_for(events),
            types={event.event_id: event.type for event in events},
        )

    async def evaluate_all(
        self, session: AsyncSession, items: list[Kind], prepared: Prepared
    ) -> None:
        """`evaluate` each, in order, in the caller's transaction; the webhook events read
        with one statement, and follows one after the other admitted together
        (Friendship.follows: a burst of follows is a few statements, not a few each)."""
        ids = [item.event_id for item in items if isinstance(item, WebhookReceived)]
        events = await rows_by(session, WebhookEvent, WebhookEvent.event_id, ids)
        follows: list[WebhookEvent] = []
        for item in items:
            event = events.get(item.event_id) if isinstance(item, WebhookReceived) else None
            if event and event.processed_at is None and event.type == "follow" and event.user_id:
                follows.append(event)
                continue
            if follows:
                await self.friendship.follows(session, follows, prepared.profiles)
                follows = []
            if isinstance(item, WebhookReceived):
                if event is not None:
                    await self.friendship.handle(
                        session, event, prepared.profiles.get(event.event_id)
                    )
            else:
                await self.evaluate(session, item, prepared)
        if follows:
            await self.friendship.follows(session, follows, prepared.profiles)

    async def evaluate(self, session: AsyncSession, item: Kind, prepared: Prepared) -> None:
        """The commands a change other than a webhook event calls for (those are
        `evaluate_all`'s), in the caller's transaction."""
        if isinstance(item, WebhookBatch):
            await record.webhooks_acknowledged(session, [item.rows], inline=None)
        elif isinstance(item, FriendsChanged):
            await self.changes.changed(session, item.user_ids, reason=item.reason)
            if item.operation_id:
                await operations.count_reached(session, item.operation_id, len(item.user_ids))
        elif isinstance(item, EventRecorded):
            await self.changes.event(
                session, item.user_id, item.name, item.properties, seq=item.seq
            )
        elif isinstance(item, Delivered):
            await self.changes.delivered(session, item.user_id)
        else:
            raise TypeError(f"not a change: {item.kind}")
