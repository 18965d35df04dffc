"""The channel as the admin API and the dashboard show it: its delivery policy, and how much
of LINE's monthly quota is left to step delivery once the policy's reserve is kept back."""

from dataclasses import dataclass
from typing import Literal

from sqlmodel.ext.asyncio.session import AsyncSession

from core.config import Settings
from line.client import LineError, LinePusher
from scenarios.policy import ChannelPolicy
from store.policy import get_policy, set_policy


class QuotaUnknown(Exception):
    """LINE cannot be asked (503: no access token) or did not answer (502)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Quota:
    type: Literal["limited", "none"]  # "none": the plan has no monthly target
    limit: int | None  # the monthly target (None for "none")
    used: int  # messages sent this month, as LINE counts them
    remaining: int | None  # limit - used, never below 0 (None for "none")
    reserve_percent: int  # the policy's quota_reserve_percent, kept for manual broadcasts
    available_to_steps: int | None  # what step delivery may still send (None for "none")


async def policy(session: AsyncSession) -> ChannelPolicy:
    """The channel's delivery policy (the defaults until one is set)."""
    return await get_policy(session)


async def replace_policy(session: AsyncSession, new: ChannelPolicy) -> ChannelPolicy:
    """The whole policy replaced (committed); it applies to messages scheduled from now on."""
    return await set_policy(session, policy=new)


async def quota(session: AsyncSession, settings: Settings, line: object) -> Quota:
    """This month's quota, read from LINE, and the share of it left to step delivery."""
    if not settings.line_channel_access_token or not isinstance(line, LinePusher):
        raise QuotaUnknown(
            503, "LINE_CHANNEL_ACCESS_TOKEN is not set: the quota cannot be read from LINE"
        )
    reserve = (await get_policy(session)).quota_reserve_percent
    try:
        read = await line.get_quota()
    except LineError as exc:
        where = f"LINE answered {exc.status}" if exc.status else "LINE could not be reached"
        raise QuotaUnknown(502, f"{where}: {exc.message}") from None
    if read.limit is None:
        remaining = available = None
    else:
        remaining = max(0, read.limit - read.used)
        available = max(0, read.limit * (100 - reserve) // 100 - read.used)
    return Quota(read.type, read.limit, read.used, remaining, reserve, available)
