"""What a friend's postback or message means, in the dispatcher's transaction: an event on
record (`postback` with its data, `message` with its text and keywords), a survey's answer
when it is one (triggers/surveys.py), then what any event means for journeys (exits,
`wait_for`, event and keyword triggers: triggers/changes.py).

Once per webhook event: the event row carries LINE's webhookEventId, and the webhook event is
marked processed in the same transaction."""

import logging
from datetime import UTC, datetime
from typing import Any, Literal

from sqlmodel.ext.asyncio.session import AsyncSession

from domain.keywords import keywords_of
from store import events
from store.surveys import ANSWER_EVENT
from store.tables import Friend, WebhookEvent
from triggers import surveys
from triggers.changes import FriendChanges

log = logging.getLogger("stepline.messages")


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
    TYPES = ("postback", "message")

    def __init__(self, *, changes: FriendChanges):
        self.changes = changes

    async def handle(self, session: AsyncSession, event: WebhookEvent) -> None:
        found = event_of(event.body)
        if found is None or event.user_id is None:  # a group or room that hides who it was
            log.info("webhook event %s (%s): no friend's event", event.event_id, event.type)
            return
        name, properties = found
        friend = await session.get(Friend, event.user_id)
        if friend is None or not friend.following:
            log.info("%s of %s, who does not follow the account: not recorded", name, event.user_id)
            return
        at = datetime.fromtimestamp(event.timestamp_ms / 1000, UTC)
        seq, fresh = await events.record_once(
            session,
            webhook_event_id=event.event_id,
            user_id=event.user_id,
            name=name,
            properties=properties,
            occurred_at=at,
        )
        # a survey's answer is stored before journeys react, so that they see it
        taken = await surveys.answer(session, event, name, properties, at, fresh=fresh)
        await self.changes.event(
            session, event.user_id, name, properties, seq=seq, reply_event=event.event_id
        )
        if taken is not None:  # the answer is an event (and an attribute) of its own
            await self.changes.event(
                session,
                event.user_id,
                ANSWER_EVENT,
                taken.properties or {},
                seq=taken.event_seq,
                reason="attributes",
            )
