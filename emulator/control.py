"""/emulator/…: drive the emulated users and platform from tests and the dev runner (no auth)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from emulator.ids import is_user_id
from emulator.state import EmulatorState, Fault
from emulator.webhooks import WebhookResult, follow_event, post_events, unfollow_event

router = APIRouter(prefix="/emulator", tags=["emulator"])


class FollowBody(BaseModel):
    display_name: str | None = None
    language: str | None = None
    picture_url: str | None = None
    status_message: str | None = None


class WebhookBody(BaseModel):
    events: list[dict[str, Any]]
    signature: str | None = None  # sent instead of the correct signature


class QuotaBody(BaseModel):
    monthly_quota: int | None = Field(..., ge=0)
    consumption: int | None = Field(None, ge=0)


FaultEndpoint = Literal["push", "multicast", "quota", "consumption"]


class FaultBody(BaseModel):
    status: int | None = Field(None, ge=400, le=599)
    message: str | None = None
    times: int = Field(1, ge=1)
    delay_seconds: float | None = Field(None, ge=0)
    accept_then_drop: bool = False
    user_id: str | None = None
    # push and multicast unless told; the quota reads only when named here
    endpoints: list[FaultEndpoint] = Field(["push", "multicast"], min_length=1)


def _state(request: Request) -> EmulatorState:
    return request.app.state.emulator


def _checked(user_id: str) -> str:
    if not is_user_id(user_id):
        raise HTTPException(422, "user_id must be 'U' followed by 32 lowercase hex characters")
    return user_id


def _answer(result: WebhookResult, **extra: Any) -> dict:
    answer = {"webhook_status": result.status, **extra}
    if result.error:
        answer["webhook_error"] = result.error
    return answer


async def follow_user(state: EmulatorState, user_id: str, **profile: str | None) -> dict:
    """The user adds the account as a friend: state changes, a signed follow webhook goes out."""
    unblocked = state.follow(user_id, **profile)
    event = follow_event(user_id, int(state.clock() * 1000), is_unblocked=unblocked)
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
