"""What a friend's postback or message means: an event on record (`postback` with its data,
`message` with its text and keywords), then what any event means for journeys (exits,
`wait_for`, event and keyword triggers: triggers/changes.py).

Once per webhook event: the event row carries LINE's webhookEventId, so a webhook event
processed again (a crash before it was marked processed) records nothing new. Hooks (a survey
taking its answer from a postback or the next text message) get each one once it is on
record and before journeys react to it, so that what they store is there when they do."""

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from scenarios.conditions import keywords_of
from store import events
from store.db import Database
from store.tables import Friend, WebhookEvent
from triggers.changes import FriendChanges

log = logging.getLogger("stepline.messages")
TYPES = ("postback", "message")


@dataclass(frozen=True)
class Incoming:
    """A friend's postback or message, as recorded."""

    webhook_event_id: str
    user_id: str
    name: Literal["postback", "message"]
    properties: dict[str, Any]
    at: datetime  # LINE's timestamp of the webhook event
    seq: int  # its Event.seq
    fresh: bool  # False: recorded before (the webhook event is being processed again)


Hook = Callable[[Incoming], Awaitable[None]]


def event_of(body: dict[str, Any]) -> tuple[Literal["postback", "message"], dict[str, Any]] | None:
    """The event a webhook event's body stands for (None: not a postback or a message)."""
    if body.get("type") == "postback":
        postback = body.get("postback") or {}
        properties: dict[str, Any] = {"data": str(postback.get("data", ""))}
        if postback.get("params"):
            properties["params"] = postback["params"]
        return "postback", properties
    if body.get("type") == "message":
        message = body.get("message") or {}
        kind = str(message.get("type", "unknown"))
        text = message.get("text")
        if kind == "text" and isinstance(text, str):
            return "message", {"type": "text", "text": text, "keywords": keywords_of(text)}
        return "message", {"type": kind}
    return None


class MessageHandler:
    def __init__(self, *, db: Database, changes: FriendChanges, hooks: Iterable[Hook] = ()):
        self.db, self.changes = db, changes
        self.hooks: list[Hook] = list(hooks)

    async def handle(self, event: WebhookEvent) -> None:
        found = event_of(event.body)
        if found is None or event.user_id is None:  # a group or room that hides who it was
            log.info("webhook event %s (%s): no friend's event", event.event_id, event.type)
            return
        name, properties = found
        incoming = await self.record(event, name, properties)
        if incoming is None:
            return
        for hook in self.hooks:
            await hook(incoming)
        await self.changes.event_recorded(
            incoming.user_id, incoming.name, incoming.properties, seq=incoming.seq
        )

    async def record(
        self, event: WebhookEvent, name: Literal["postback", "message"], properties: dict[str, Any]
    ) -> Incoming | None:
        """The event on record for a friend who follows the account (None: a stranger, or
        one who has blocked it — their events are not kept)."""
        assert event.user_id is not None
        at = datetime.fromtimestamp(event.timestamp_ms / 1000, UTC)
        async with self.db.session() as session:
            friend = await session.get(Friend, event.user_id)
            if friend is None or not friend.following:
                log.info(
                    "%s of %s, who does not follow the account: not recorded", name, event.user_id
                )
                return None
            seq, fresh = await events.record_once(
                session,
                webhook_event_id=event.event_id,
                user_id=event.user_id,
                name=name,
                properties=properties,
                occurred_at=at,
            )
            await session.commit()
        return Incoming(event.event_id, event.user_id, name, properties, at, seq, fresh)
