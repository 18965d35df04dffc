"""The LINE Messaging API endpoints, answering the way api.line.me documents it."""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from core.linemsg import check_messages
from emulator.ids import is_user_id, is_uuid, message_id, quote_token
from emulator.middleware import DropConnection
from emulator.state import EmulatorState, Fault

router = APIRouter()

AUTH_FAILED = (
    "Authentication failed. Confirm that the access token in the authorization header is valid."
)
RATE_LIMITED = "The API rate limit has been exceeded. Try again later."
MONTHLY_LIMIT = "You have reached your monthly limit."
RETRY_KEY_ACCEPTED = "The retry key is already accepted"
INVALID_RETRY_KEY = "The value of the X-Line-Retry-Key header is invalid"
RETRY_KEY_UNSUPPORTED = "The X-Line-Retry-Key header is not supported by this API"
INVALID_TO = "The property, 'to', in the request body is invalid (line: -, column: -)"
DEFAULT_FAULT_MESSAGES = {
    401: AUTH_FAILED,
    403: "Access to this API is not available for your account",
    429: RATE_LIMITED,
}
QUOTABLE = frozenset({"text", "textV2", "sticker", "image", "video"})  # carry a quoteToken
MAX_MULTICAST_RECIPIENTS = 500


def line_error(status: int, message: str, headers: dict | None = None, **extra) -> JSONResponse:
    """LINE's error body: {"message": …} plus optional details / sentMessages."""
    return JSONResponse({"message": message, **extra}, status_code=status, headers=headers)


def _state(request: Request) -> EmulatorState:
    return request.app.state.emulator


def _gate(request: Request, endpoint: str, *, retry_key_allowed: bool) -> JSONResponse | None:
    """Checks every LINE endpoint makes before reading the body: token, rate limit, retry key."""
    state = _state(request)
    state.calls[endpoint] += 1
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    expected = state.config.access_token
    if scheme.lower() != "bearer" or not token or (expected is not None and token != expected):
        return line_error(401, AUTH_FAILED)
    if state.over_rate_limit(endpoint):
        return line_error(429, RATE_LIMITED)
    retry_key = request.headers.get("x-line-retry-key")
    if retry_key is not None and not retry_key_allowed:
        return line_error(400, RETRY_KEY_UNSUPPORTED)
    if retry_key is not None and not is_uuid(retry_key):
        return line_error(400, INVALID_RETRY_KEY)
    return None


def _json_object(raw: bytes) -> dict | JSONResponse:
    """The request body as a JSON object, or the 400 LINE answers when it is not one."""
    try:
        payload = json.loads(raw)
    except ValueError as exc:
        line, column = getattr(exc, "lineno", "-"), getattr(exc, "colno", "-")
        return line_error(
            400, f"The request body could not be parsed as JSON (line: {line}, column: {column})"
        )
    if not isinstance(payload, dict):
        return line_error(400, "The request body could not be parsed as JSON (line: 1, column: 1)")
    return payload


def _message_details(payload: dict) -> list[dict]:
    """What is wrong with a send request's `messages` and `notificationDisabled`."""
    details: list[dict] = []
    messages = payload.get("messages")
    if messages is None:
        details.append({"message": "must be specified", "property": "messages"})
    else:
        details += [{"message": p.message, "property": p.path} for p in check_messages(messages)]
    if not isinstance(payload.get("notificationDisabled", False), bool):
        details.append({"message": "must be true or false", "property": "notificationDisabled"})
    return details


def _body_errors(details: list[dict]) -> JSONResponse:
    return line_error(400, f"The request body has {len(details)} error(s)", details=details)


def _read_send_request(
    raw: bytes, multicast: bool
) -> tuple[list[str], list[dict], bool] | JSONResponse:
    """Parse and validate a push/multicast body: (recipients, messages, notificationDisabled)
    or the 400 to answer."""
    payload = _json_object(raw)
    if isinstance(payload, JSONResponse):
        return payload
    details: list[dict] = []
    to = payload.get("to")
    if to is None:
        details.append({"message": "must be specified", "property": "to"})
    elif multicast and not (isinstance(to, list) and all(is_user_id(u) for u in to)):
        return line_error(400, INVALID_TO)
    elif multicast and not 1 <= len(to) <= MAX_MULTICAST_RECIPIENTS:
        details.append({"message": "size must be between 1 and 500", "property": "to"})
    elif not multicast and not is_user_id(to):
        return line_error(400, INVALID_TO)
    if details := details + _message_details(payload):
        return _body_errors(details)
    return (
        (to if multicast else [to]),
        payload["messages"],
        payload.get("notificationDisabled", False),
    )


def _unsupported_content_type(request: Request) -> JSONResponse | None:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        return line_error(415, f"The content type, '{content_type}', is not supported")
    return None


def _unavailable_coupons(state: EmulatorState, messages: list[dict]) -> JSONResponse | None:
    """The 400 for coupon messages whose coupon is closed, expired or unknown."""
    from emulator.coupons import unavailable_coupons  # it builds on this module's helpers

    if problems := unavailable_coupons(state, messages):
        return _body_errors([{"message": p.message, "property": p.path} for p in problems])
    return None


def _fault_error(fault: Fault) -> JSONResponse:
    message = fault.message or DEFAULT_FAULT_MESSAGES.get(fault.status or 500, "An error occurred")
    return line_error(fault.status or 500, message)


async def _drop(fault: Fault) -> None:
    """An accept_then_drop fault, once the request is accepted: silence, then a hang-up."""
    if fault.delay_seconds:  # accepted, then silent until the client gives up
        await asyncio.sleep(fault.delay_seconds)
    raise DropConnection(fallback_hang_seconds=fault.delay_seconds or 30.0)


def _sent_messages(messages: list[dict]) -> list[dict]:
    """A push's or reply's sentMessages: an id each, and a quoteToken for the quotable types."""
    sent = [{"id": message_id()} for _ in messages]
    for item, message in zip(sent, messages, strict=True):
        if message.get("type") in QUOTABLE:
            item["quoteToken"] = quote_token()
    return sent


async def _send(request: Request, endpoint: str, multicast: bool) -> JSONResponse:
    state = _state(request)
    if refused := _gate(request, endpoint, retry_key_allowed=True):
        return refused
    if refused := _unsupported_content_type(request):
        return refused
    parsed = _read_send_request(await request.body(), multicast)
    if isinstance(parsed, JSONResponse):
        return parsed
    recipients, messages, silent = parsed
    if refused := _unavailable_coupons(state, messages):
        return refused
    retry_key = request.headers.get("x-line-retry-key")

    fault = state.take_fault(endpoint, recipients)
    if fault and fault.delay_seconds and not fault.accept_then_drop:
        await asyncio.sleep(fault.delay_seconds)
    if fault and fault.status:
        return _fault_error(fault)

    if retry_key is not None and (first := state.accepted_request(retry_key)):
        state.conflicts[endpoint] += 1
        state.faults_on_conflicts += fault is not None
        extra = {} if first.sent_messages is None else {"sentMessages": first.sent_messages}
        headers = {"x-line-accepted-request-id": first.request_id}
        return line_error(409, RETRY_KEY_ACCEPTED, headers=headers, **extra)
    reachable = sum(state.undeliverable_reason(user_id) is None for user_id in recipients)
    if state.quota_exceeded_by(reachable):
        return line_error(429, MONTHLY_LIMIT)

    sent = None if multicast else _sent_messages(messages)
    state.accept(
        request.state.line_request_id, recipients, messages, retry_key, sent, silent=silent
    )
    if fault and fault.accept_then_drop:
        await _drop(fault)
    return JSONResponse({"sentMessages": sent} if sent is not None else {})


@router.post("/v2/bot/message/push")
async def push_message(request: Request) -> JSONResponse:
    return await _send(request, "push", multicast=False)


@router.post("/v2/bot/message/multicast")
async def multicast(request: Request) -> JSONResponse:
    return await _send(request, "multicast", multicast=True)


async def _read_gate(request: Request, endpoint: str) -> JSONResponse | None:
    """`_gate`, then any fault queued for this read: an error status, a delay, or a dropped
    connection (nothing to accept on a read)."""
    if refused := _gate(request, endpoint, retry_key_allowed=False):
        return refused
    fault = _state(request).take_fault(endpoint)
    if fault is None:
        return None
    if fault.delay_seconds:
        await asyncio.sleep(fault.delay_seconds)
    if fault.accept_then_drop:
        raise DropConnection(fallback_hang_seconds=fault.delay_seconds or 30.0)
    return _fault_error(fault) if fault.status else None


@router.get("/v2/bot/message/quota")
async def get_message_quota(request: Request) -> JSONResponse:
    if refused := await _read_gate(request, "quota"):
        return refused
    quota = _state(request).monthly_quota
    return JSONResponse({"type": "none"} if quota is None else {"type": "limited", "value": quota})


@router.get("/v2/bot/message/quota/consumption")
async def get_message_quota_consumption(request: Request) -> JSONResponse:
    if refused := await _read_gate(request, "consumption"):
        return refused
    return JSONResponse({"totalUsage": _state(request).consumption})


@router.get("/v2/bot/profile/{user_id}")
async def get_profile(request: Request, user_id: str) -> JSONResponse:
    if refused := _gate(request, "profile", retry_key_allowed=False):
        return refused
    user = _state(request).users.get(user_id)
    if user is None or user.state != "friend":
        return line_error(404, "Not found")
    return JSONResponse(user.profile())
