"""When the channel's policy lets a message go out to a friend: quiet hours and calendars,
per-friend caps over any 24 hours / 7 days across all scenarios, and spacing of held messages.

Times are the workflows' own (a delivery's `planned_at` is the moment its push was granted), so
the rules hold the same on a time-skipping test server as in production."""

from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.calendar import next_allowed
from core.windows import in_window
from domain.statuses import PUSHED, HoldReason
from domain.steps import Window
from scenarios.policy import ChannelPolicy
from store.enrollment_ids import counted
from store.tables import Delivery

DAY, WEEK = timedelta(days=1), timedelta(days=7)


async def deferral(
    session: AsyncSession,
    *,
    user_id: str,
    now: datetime,
    held: bool,
    policy: ChannelPolicy,
    timezone: str,
    window: Window | None,
) -> tuple[datetime, HoldReason] | None:
    """None when a push to this friend may go out `now`; else (earliest moment, why)."""
    if policy.calendar_rules:
        allowed = next_allowed(
            now,
            timezone,
            window=(window.start, window.end) if window else None,
            quiet=(policy.quiet_hours.start, policy.quiet_hours.end)
            if policy.quiet_hours and policy.quiet_hours_mode == "hold"
            else None,
            skip_weekends=policy.skip_weekends,
            skip_holidays=policy.skip_holidays,
            country=policy.holiday_country,
            closed=policy.closed_days,
        )
        if allowed > now:
            return allowed, "quiet"
    if not (policy.max_per_day or policy.max_per_week or held):
        return None
    span = WEEK if policy.max_per_week else DAY
    sent = sorted(
        await session.exec(
            select(Delivery.planned_at).where(
                Delivery.user_id == user_id,
                counted(Delivery.enrollment_id),  # a test send's pushes are not counted
                col(Delivery.status).in_(PUSHED),
                col(Delivery.planned_at) > now - max(span, policy.gap),
            )
        )
    )
    later = [
        _released(sent, now, cap, period)
        for cap, period in ((policy.max_per_day, DAY), (policy.max_per_week, WEEK))
        if cap
    ]
    if held and sent:  # after a hold: never at the same moment as another message
        later.append(sent[-1] + policy.gap)
    until = max(later, default=now)
    return (until, "frequency") if until > now else None


def silenced(policy: ChannelPolicy | None, now: datetime, timezone: str) -> bool:
    """Whether a push going out `now` goes silently for the channel's quiet hours (their mode
    `silent`: sent at once without a notification instead of held)."""
    hours = policy.quiet_hours if policy is not None else None
    if hours is None or policy is None or policy.quiet_hours_mode != "silent":
        return False
    return in_window(now, timezone, hours.start, hours.end)


def _released(sent: list[datetime], now: datetime, cap: int, period: timedelta) -> datetime:
    """When fewer than `cap` sends lie in the `period` before: `now` if already so."""
    inside = [when for when in sent if when > now - period]
    if len(inside) < cap:
        return now
    return inside[len(inside) - cap] + period
