"""The channel (docs/CONTRACT.md §5): its delivery policy, and how much of LINE's monthly quota is left."""

from fastapi import APIRouter, HTTPException

from api.deps import Admin, ServicesDep, SessionDep
from api.errors import StrictJSONRoute
from app import channel, forecast
from scenarios.policy import ChannelPolicy

router = APIRouter(
    prefix="/channel", tags=["channel"], dependencies=Admin, route_class=StrictJSONRoute
)


@router.get("/policy", response_model=ChannelPolicy)
async def read_policy(session: SessionDep) -> ChannelPolicy:
    """The channel's delivery policy (the defaults until one is set)."""
    return await channel.policy(session)


@router.put("/policy", response_model=ChannelPolicy)
async def replace_policy(body: ChannelPolicy, session: SessionDep) -> ChannelPolicy:
    """Replace the whole policy (fields left out take their defaults); it applies to messages
    scheduled from now on."""
    return await channel.replace_policy(session, body)


@router.get(
    "/quota",
    response_model=channel.Quota,
    responses={
        502: {"description": "LINE answered with an error or could not be reached"},
        503: {"description": "no LINE_CHANNEL_ACCESS_TOKEN: LINE cannot be asked"},
    },
)
async def read_quota(session: SessionDep, services: ServicesDep) -> channel.Quota:
    """This month's quota, read from LINE, and the share of it left to step delivery once the
    policy's reserve for manual broadcasts is kept back."""
    try:
        found = await channel.quota(session, services.settings, services.line)
    except channel.QuotaUnknown as exc:
        raise HTTPException(exc.status, detail=str(exc)) from None
    return found


@router.get("/quota/forecast", response_model=forecast.Forecast)
async def read_forecast(session: SessionDep, services: ServicesDep) -> forecast.Forecast:
    """The counted messages the waiting enrollments will push on each remaining day of this
    month and of the next (Japan time, as LINE counts them), against the plan and the
    policy's reserve, with the day the plan is projected to run out. The plan and this
    month's use are LINE's when it answers, else the policy's `free_messages` and the pushes
    stepline made."""
    return await forecast.forecast(session, services.definitions, services.settings, services.line)
