"""Webhook events shaped like webhook.yml, signed and POSTed the way the LINE platform does."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass

import httpx

from emulator.ids import message_id, quote_token, reply_token, webhook_event_id
from emulator.state import EmulatorState


def sign(channel_secret: str, body: bytes) -> str:
    """X-Line-Signature: base64(HMAC-SHA256(channel secret, raw body))."""
    digest = hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _base_event(kind: str, user_id: str, timestamp_ms: int) -> dict:
    return {
        "type": kind,
        "mode": "active",
        "timestamp": timestamp_ms,
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": webhook_event_id(),
        "deliveryContext": {"isRedelivery": False},
    }


def follow_event(user_id: str, timestamp_ms: int, *, is_unblocked: bool) -> dict:
    return _base_event("follow", user_id, timestamp_ms) | {
        "replyToken": reply_token(),
        "follow": {"isUnblocked": is_unblocked},
    }


def unfollow_event(user_id: str, timestamp_ms: int) -> dict:
    return _base_event("unfollow", user_id, timestamp_ms)  # no replyToken: nobody to reply to


def postback_event(
    user_id: str, timestamp_ms: int, data: str, params: dict[str, str] | None = None
) -> dict:
    """A friend tapped a postback action (a displayText is shown in the chat, never sent)."""
    postback: dict = {"data": data}
    if params:
        postback["params"] = params  # a datetime picker's date/time/datetime, and the like
    return _base_event("postback", user_id, timestamp_ms) | {
        "replyToken": reply_token(),
        "postback": postback,
    }


def text_message_event(user_id: str, timestamp_ms: int, text: str) -> dict:
    """A friend sent a text message (typed, or a message action they tapped)."""
    return _base_event("message", user_id, timestamp_ms) | {
        "replyToken": reply_token(),
        "message": {"type": "text", "id": message_id(), "text": text, "quoteToken": quote_token()},
    }


@dataclass
class WebhookResult:
    status: int | None = None  # None: no webhook URL, or no answer
    body: str | None = None
    error: str | None = None  # why there is no answer (connection refused, timeout …)


async def post_events(
    state: EmulatorState, events: list[dict], *, signature: str | None = None
) -> WebhookResult:
    """POST one webhook body holding `events` to the configured URL; `signature` overrides ours."""
    url = state.config.webhook_url
    if not url:
        return WebhookResult()
    payload = {"destination": state.bot_user_id, "events": events}
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "LineBotWebhook/2.0",
        "X-Line-Signature": signature
        if signature is not None
        else sign(state.config.channel_secret, body),
    }
    try:
        async with httpx.AsyncClient(timeout=state.config.webhook_timeout_seconds) as client:
            response = await client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return WebhookResult(error=f"{type(exc).__name__}: {exc}".rstrip(": "))
    return WebhookResult(status=response.status_code, body=response.text)
