"""POST /v2/bot/message/reply: answer a webhook event with the reply token it carried.

The checks push makes, where they apply (no X-Line-Retry-Key: a reply token is its own guard
against a second send); then the token: one the emulator issued in a webhook event, unused and
less than a minute old (emulator/reply_tokens.py). An accepted reply goes to that event's user,
free: it neither counts towards the monthly quota nor is refused by it."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from emulator.line_api import (
    _body_errors,
    _drop,
    _fault_error,
    _gate,
    _json_object,
    _message_details,
    _sent_messages,
    _state,
    _unavailable_coupons,
    _unsupported_content_type,
    line_error,
)

router = APIRouter()

INVALID_REPLY_TOKEN = "Invalid reply token"


def _read_reply_request(raw: bytes) -> tuple[str, list[dict], bool] | JSONResponse:
    """Parse and validate a ReplyMessageRequest: (replyToken, messages, notificationDisabled)
    or the 400 to answer."""
    payload = _json_object(raw)
    if isinstance(payload, JSONResponse):
        return payload
    details: list[dict] = []
    token = payload.get("replyToken")
    if token is None:
        details.append({"message": "must be specified", "property": "replyToken"})
    if details := details + _message_details(payload):
        return _body_errors(details)
    silent = payload.get("notificationDisabled", False)
    return (token if isinstance(token, str) else ""), payload["messages"], silent


@router.post("/v2/bot/message/reply")
async def reply_message(request: Request) -> JSONResponse:
    state = _state(request)
    if refused := _gate(request, "reply", retry_key_allowed=False):
        return refused
    if refused := _unsupported_content_type(request):
        return refused
    parsed = _read_reply_request(await request.body())
    if isinstance(parsed, JSONResponse):
        return parsed
    token, messages, silent = parsed
    if refused := _unavailable_coupons(state, messages):
        return refused
    # only a valid request meets a fault; the token is used up only once the reply is accepted
    user_id = state.reply_tokens.user_of(token)
    if user_id is None:
        return line_error(400, INVALID_REPLY_TOKEN)

    fault = state.take_fault("reply", [user_id])
    if fault and fault.delay_seconds and not fault.accept_then_drop:
        await asyncio.sleep(fault.delay_seconds)
    if fault and fault.status:
        return _fault_error(fault)
    if state.reply_tokens.use(token) is None:  # used or expired while the fault delayed it
        return line_error(400, INVALID_REPLY_TOKEN)

    sent = _sent_messages(messages)
    request_id = request.state.line_request_id
    state.accept(request_id, [user_id], messages, None, sent, silent=silent, via="reply")
    if fault and fault.accept_then_drop:
        await _drop(fault)
    return JSONResponse({"sentMessages": sent})
