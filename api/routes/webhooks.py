"""POST /webhooks/line: verify, record durably (the events, and each in the outbox), answer 200;
the dispatcher does the rest (triggers/dispatch.py)."""

import asyncio
import base64
import hashlib
import hmac
import logging

from fastapi import APIRouter, HTTPException, Request, Response, status
from linebot.v3.exceptions import InvalidSignatureError

from api.deps import Services
from api.errors import finite_json, storable
from core import metrics
from core.config import Settings
from triggers import record

router = APIRouter(tags=["webhook"])
log = logging.getLogger("stepline.webhooks")
MAX_BODY = 2 * 1024 * 1024
IN_THREAD = 64 * 1024  # bodies larger than this (a few hundred events) are parsed in a thread
MAX_TIMESTAMP_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z, the last a datetime can be


def _event_key(webhook_event_id: str) -> str:
    """LINE's ids are 26-character ULIDs; anything longer is keyed by its digest."""
    if len(webhook_event_id) <= 64:
        return webhook_event_id
    return "sha256:" + hashlib.sha256(webhook_event_id.encode()).hexdigest()[:57]


def signed_by(settings: Settings, body: bytes, signature: str) -> bool:
    """Whether X-Line-Signature is the channel secret's HMAC-SHA256 of these very bytes."""
    secret = settings.line_channel_secret
    key = secret.get_secret_value().encode() if secret else b""
    expected = base64.b64encode(hmac.new(key, body, hashlib.sha256).digest())
    return bool(key) and hmac.compare_digest(signature.encode("utf-8", "replace"), expected)


def friend_of(source: dict) -> str | None:
    """The friend an event is theirs: only one from a 1:1 chat (`source.type: user`). A group's
    or a room's event names its sender, yet it is said to the group: it is recorded (with no
    friend) and never enrols, answers a survey or blocks anyone (docs/SECURITY.md)."""
    if source.get("type") != "user":
        return None
    user_id = source.get("userId")
    return user_id if isinstance(user_id, str) else None


def _row(model, raw: dict) -> dict:
    if not 0 <= model.timestamp <= MAX_TIMESTAMP_MS:
        raise ValueError(f"timestamp {model.timestamp} is not a time in milliseconds")
    source = raw.get("source") or {}
    context = raw.get("deliveryContext") or {}
    return {
        "event_id": _event_key(storable(model.webhook_event_id))
        if model.webhook_event_id
        else None,
        "type": raw.get("type", "unknown"),
        "user_id": friend_of(source),
        "timestamp_ms": model.timestamp,
        "redelivery": bool(context.get("isRedelivery")),
        "body": raw,
    }


def _rows(services: Services, body: bytes, signature: str) -> list[dict]:
    """The rows a signed body's events are recorded as; InvalidSignatureError, or any other
    error for a body LINE would not send."""
    # over the raw bytes first: bytes that are not UTF-8 are refused as unsigned, not taken
    # for a signed body LINE sent badly
    if not signed_by(services.settings, body, signature):
        raise InvalidSignatureError("the signature is not the body's")
    text = body.decode("utf-8")
    events = services.webhook_parser.parse(text, signature)
    raw_events = finite_json(text)["events"]  # no 1e400: a JSON column cannot hold it
    if "\\u" in text:  # `\u0000` or a lone `\ud800`: stored as U+FFFD
        raw_events = storable(raw_events)
    return [_row(model, raw) for model, raw in zip(events, raw_events, strict=True)]


@router.post(
    "/webhooks/line",
    responses={400: {"description": "bad or missing signature, or malformed body"}},
    openapi_extra={
        "parameters": [
            {
                "name": "X-Line-Signature",
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
                "description": "the channel secret's HMAC-SHA256 of the body, base64",
            }
        ]
    },
)
async def line_webhook(request: Request) -> Response:
    """LINE webhook: 200 once the events are durably recorded. No dependencies to solve: at
    200 follows a second FastAPI's solving was a seventh of the API's CPU (docs/PERFORMANCE.md)."""
    services: Services = request.app.state.services
    x_line_signature = request.headers.get("x-line-signature")
    body = await request.body()  # over MAX_BODY: refused by api.bodylimit before this
    if not x_line_signature:
        metrics.WEBHOOK_REQUESTS.labels(outcome="bad_signature").inc()
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="missing X-Line-Signature")
    try:
        if len(body) > IN_THREAD:  # thousands of events: parsed off the event loop
            rows = await asyncio.to_thread(_rows, services, body, x_line_signature)
        else:
            rows = _rows(services, body, x_line_signature)
    except InvalidSignatureError:
        metrics.WEBHOOK_REQUESTS.labels(outcome="bad_signature").inc()
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, detail="invalid X-Line-Signature"
        ) from None
    except Exception as exc:  # signed, yet not a webhook body LINE would send
        log.warning("signed webhook body could not be parsed: %s", exc)
        metrics.WEBHOOK_REQUESTS.labels(outcome="malformed").inc()
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="malformed webhook body") from None
    by_id = {row["event_id"]: row for row in rows if row["event_id"]}
    # recorded with the webhooks answered meanwhile, in one transaction (store/batches.py),
    # each fresh event with its outbox row; an unfollow is applied to its friend in that
    # transaction too: a block holds from the moment LINE is answered, even while the
    # dispatcher has yet to signal the enrollments. Of a large body, the first INLINE_EVENTS
    # so; the rest in the outbox as it came, for the dispatcher to record (triggers/record.py)
    unique = list(by_id.values())
    fresh = await services.webhook_writer.submit(unique) if by_id else []
    later = unique[record.INLINE_EVENTS :]
    deferred = {row["event_id"] for row in later}
    metrics.webhook_received([row for row in rows if row["event_id"] not in deferred], fresh)
    for row in later:
        metrics.webhook_event(row["type"], "deferred")
    return Response(b"{}", media_type="application/json")
