"""The channel (docs/CONTRACT.md §5): its delivery policy, and how much of LINE's monthly quota is left."""

from typing import Literal

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel

from api.deps import Admin, ServicesDep, SessionDep
from api.errors import StrictJSONRoute
from line.client import LineError, LinePusher
from scenarios.policy import ChannelPolicy
from store.policy import get_policy, set_policy

router = APIRouter(
    prefix="/channel", tags=["channel"], dependencies=Admin, route_class=StrictJSONRoute
)


class QuotaPublic(BaseModel):
    type: Literal["limited", "none"]  # "none": the plan has no monthly target
    limit: int | None  # the monthly target (null for "none")
    used: int  # messages sent this month, as LINE counts them
    remaining: int | None  # limit - used, never below 0 (null for "none")
    reserve_percent: int  # the policy's quota_reserve_percent, kept for manual broadcasts
    available_to_steps: int | None  # what step delivery may still send (null for "none")


@router.get("/policy", response_model=ChannelPolicy)
async def read_policy(session: SessionDep) -> ChannelPolicy:
    """The channel's delivery policy (the defaults until one is set)."""
    return await get_policy(session)


@router.put("/policy", response_model=ChannelPolicy)
async def replace_policy(body: ChannelPolicy, session: SessionDep) -> ChannelPolicy:
    """Replace the whole policy (fields left out take their defaults); it applies to messages
    scheduled from now on."""
    return await set_policy(session, policy=body)


@router.get(
    "/quota",
    response_model=QuotaPublic,
    responses={
        502: {"description": "LINE answered with an error or could not be reached"},
        503: {"description": "no LINE_CHANNEL_ACCESS_TOKEN: LINE cannot be asked"},
    },
)
async def read_quota(session: SessionDep, services: ServicesDep) -> QuotaPublic:
    """This month's quota, read from LINE, and the share of it left to step delivery once the
    policy's reserve for manual broadcasts is kept back."""
    line = services.line
    if not services.settings.line_channel_access_token or not isinstance(line, LinePusher):
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="LINE_CHANNEL_ACCESS_TOKEN is not set: the quota cannot be read from LINE",
        )
    policy = await get_policy(session)
    try:
        quota = await line.get_quota()
    except LineError as exc:
        where = f"LINE answered {exc.status}" if exc.status else "LINE could not be reached"
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, detail=f"{where}: {exc.message}") from None
    reserve = policy.quota_reserve_percent
    if quota.limit is None:
        remaining = available = None
    else:
        remaining = max(0, quota.limit - quota.used)
        available = max(0, quota.limit * (100 - reserve) // 100 - quota.used)
    return QuotaPublic(
        type=quota.type,
        limit=quota.limit,
        used=quota.used,
        remaining=remaining,
        reserve_percent=reserve,
        available_to_steps=available,
    )
