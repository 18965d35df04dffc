"""/emulator/…: drive the emulated users and platform from tests and the dev runner (no auth)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field, field_validator

from emulator.ids import is_user_id
from emulator.state import EmulatorState, Fault
from emulator.webhooks import (
    WebhookResult,
    follow_event,
    post_events,
    postback_event,
    text_message_event,
    unfollow_event,
)

router = APIRouter(prefix="/emulator", tags=["emulator"])


class FollowBody(BaseModel):
    display_name: str | None = None
    language: str | None = None
    picture_url: str | None = None
    status_message: str | None = None


class PostbackBody(BaseModel):
    data: str = Field(..., max_length=300)  # a postback action's data (LINE: at most 300)
    display_text: str | None = Field(None, min_length=1, max_length=300)
    params: dict[str, str] | None = None  # e.g. a datetime picker's {"date": "2026-12-01"}


class MessageBody(BaseModel):
    text: str = Field(..., min_length=1, max_length=5000)  # LINE's limit for a text message

    @field_validator("text")
    @classmethod
    def not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("text must not be blank: the LINE app sends no empty message")
        return text


class WebhookBody(BaseModel):
    events: list[dict[str, Any]]
    signature: str | None = None  # sent instead of the correct signature


class QuotaBody(BaseModel):
    monthly_quota: int | None = Field(..., ge=0)
    consumption: int | None = Field(None, ge=0)


FaultEndpoint = Literal["push", "multicast", "reply", "quota", "consumption"]


class FaultBody(BaseModel):
    status: int | None = Field(None, ge=400, le=599)
    message: str | None = None
    times: int = Field(1, ge=1)
    delay_seconds: float | None = Field(None, ge=0)
    accept_then_drop: bool = False
    user_id: str | None = None
    # push and multicast unless told; the reply API and the quota reads only when named here
    endpoints: list[FaultEndpoint] = Field(["push", "multicast"], min_length=1)


def _state(request: Request) -> EmulatorState:
    return request.app.state.emulator


def _checked(user_id: str) -> str:
    if not is_user_id(user_id):
        raise HTTPException(422, "user_id must be 'U' followed by 32 lowercase hex characters")
    return user_id


def _with_reply_token(state: EmulatorState, event: dict) -> dict:
    """`event`, its replyToken remembered as issued to its user (for one reply, in a minute);
    remembered before the webhook goes out, since the bot may reply while handling it."""
    state.reply_tokens.issue(event["source"]["userId"], event["replyToken"])
    return event


def _answer(result: WebhookResult, **extra: Any) -> dict:
    answer = {"webhook_status": result.status, **extra}
    if result.error:
        answer["webhook_error"] = result.error
    return answer


async def follow_user(state: EmulatorState, user_id: str, **profile: str | None) -> dict:
    """The user adds the account as a friend: state changes, a signed follow webhook goes out."""
    unblocked = state.follow(user_id, **profile)
    event = _with_reply_token(
        state, follow_event(user_id, int(state.clock() * 1000), is_unblocked=unblocked)
    )
    return _answer(await post_events(state, [event]), event=event)


@router.post("/users/{user_id}/follow")
async def follow(request: Request, user_id: str, body: FollowBody | None = None) -> dict:
    profile = (body or FollowBody()).model_dump()
    return await follow_user(_state(request), _checked(user_id), **profile)


async def unfollow_user(state: EmulatorState, user_id: str) -> dict:
    """The user blocks the account: state changes, a signed unfollow webhook goes out."""
    state.unfollow(user_id)
    event = unfollow_event(user_id, int(state.clock() * 1000))
    return _answer(await post_events(state, [event]), event=event)


@router.post("/users/{user_id}/unfollow")
async def unfollow(request: Request, user_id: str) -> dict:
    return await unfollow_user(_state(request), _checked(user_id))


def _acting(state: EmulatorState, user_id: str) -> None:
    """Only a friend who follows the account can tap or type: LINE sends nothing for others."""
    user = state.users.get(user_id)
    if user is None:
        raise HTTPException(404, f"no user {user_id} in the emulator: follow the account first")
    if user.state == "blocked":
        raise HTTPException(
            409,
            f"{user_id} has blocked the account: LINE sends no events from a user who blocked "
            "it (follow again to unblock)",
        )


async def postback_user(
    state: EmulatorState,
    user_id: str,
    data: str,
    display_text: str | None = None,
    params: dict[str, str] | None = None,
) -> dict:
    """The friend taps a postback action: its displayText shows in the chat as their message,
    and only a signed postback webhook goes out (no message event for the displayText)."""
    _acting(state, user_id)
    state.friend_sent(user_id, "postback", display_text, data, params or None)
    event = _with_reply_token(
        state, postback_event(user_id, int(state.clock() * 1000), data, params)
    )
    return _answer(await post_events(state, [event]), event=event)


async def message_user(state: EmulatorState, user_id: str, text: str) -> dict:
    """The friend sends a text message: a signed message webhook with a text message."""
    _acting(state, user_id)
    state.friend_sent(user_id, "message", text)
    event = _with_reply_token(state, text_message_event(user_id, int(state.clock() * 1000), text))
    return _answer(await post_events(state, [event]), event=event)


@router.post("/users/{user_id}/postback")
async def postback(request: Request, user_id: str, body: PostbackBody) -> dict:
    state = _state(request)
    return await postback_user(state, _checked(user_id), **body.model_dump())


@router.post("/users/{user_id}/message")
async def message(request: Request, user_id: str, body: MessageBody) -> dict:
    return await message_user(_state(request), _checked(user_id), body.text)


@router.get("/friend-messages")
async def list_friend_messages(request: Request, user_id: str | None = None) -> list[dict]:
    """What friends sent or tapped, in order (postbacks with their data)."""
    sent = _state(request).friend_messages
    return [m.to_json() for m in sent if user_id is None or m.user_id == user_id]


@router.get("/users")
async def list_users(request: Request) -> list[dict]:
    return [
        {"user_id": u.user_id, "state": u.state, "display_name": u.display_name}
        for u in _state(request).users.values()
    ]


@router.post("/webhooks")
async def send_webhook(request: Request, body: WebhookBody) -> dict:
    result = await post_events(_state(request), body.events, signature=body.signature)
    return _answer(result, body=result.body)


@router.get("/messages")
async def list_messages(request: Request, user_id: str | None = None) -> list[dict]:
    deliveries = _state(request).deliveries
    return [d.to_json() for d in deliveries if user_id is None or d.to == user_id]


@router.get("/quota")
async def get_quota(request: Request) -> dict:
    state = _state(request)
    return {"monthly_quota": state.monthly_quota, "consumption": state.consumption}


@router.put("/quota")
async def set_quota(request: Request, body: QuotaBody) -> dict:
    state = _state(request)
    state.monthly_quota = body.monthly_quota
    if body.consumption is not None:
        state.consumption = body.consumption
    return await get_quota(request)


@router.get("/faults")
async def list_faults(request: Request) -> list[dict]:
    return [fault.to_json() for fault in _state(request).faults]


@router.post("/faults")
async def add_fault(request: Request, body: FaultBody) -> list[dict]:
    """Queue a fault for the next valid requests to `endpoints` (push and multicast unless
    told; to `user_id` only, if given: then it never hits the quota reads)."""
    if body.status is None and body.delay_seconds is None and not body.accept_then_drop:
        raise HTTPException(422, "a fault needs status, delay_seconds or accept_then_drop")
    if body.status is not None and body.accept_then_drop:
        raise HTTPException(422, "status and accept_then_drop exclude each other")
    fault = body.model_dump() | {"endpoints": tuple(dict.fromkeys(body.endpoints))}
    _state(request).faults.append(Fault(**fault))
    return await list_faults(request)


@router.delete("/faults")
async def clear_faults(request: Request) -> list[dict]:
    _state(request).faults.clear()
    return []


@router.post("/reset")
async def reset(request: Request) -> dict:
    _state(request).reset()
    return {"reset": True}
