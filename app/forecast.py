"""The quota forecast (`GET /channel/quota/forecast`, the dashboard's channel page, `stepline
quota forecast`): the pushes the waiting enrollments will make on each remaining day of this
month and of the next (store/forecast.py), against LINE's plan and the policy's reserve — and
the day the plan is projected to run out."""

import logging
from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import metrics
from core.config import Settings
from domain.statuses import DeliveryStatus, DeliveryVia
from line.client import LineError, LinePusher
from store.definitions import Definitions
from store.enrollment_ids import counted
from store.forecast import JST, projected_pushes
from store.policy import get_policy
from store.tables import Delivery

log = logging.getLogger("stepline.forecast")


class Plan(BaseModel):
    limit: int | None
    """The plan's monthly messages: LINE's target, else the policy's `free_messages`; null:
    unknown, or a plan without a target."""
    used: int
    """Counted messages this month so far: LINE's own count when it answered, else the pushes
    stepline made (manual broadcasts then unseen)."""
    source: str
    """Where `limit` and `used` come from: `line`, or `stepline` (LINE not asked or silent)."""
    reserve_percent: int
    """The policy's share of the plan kept for manual broadcasts."""
    allowed: int | None
    """What step delivery may send in a month: the limit less the reserve."""


class Day(BaseModel):
    date: date
    projected: float
    """Pushes expected that day (Japan time, as LINE counts), fractions from branch shares."""
    total: float
    """The month's counted messages by the end of that day: used so far (this month) plus
    the projection."""


class Month(BaseModel):
    month: str  # YYYY-MM
    projected: float
    total: float
    runs_out_on: date | None
    """The first day whose total passes the plan's limit; null: it lasts."""
    reserve_reached_on: date | None
    """The first day whose total passes `allowed`: step delivery holds from then on."""


class Forecast(BaseModel):
    generated_at: datetime
    plan: Plan
    months: list[Month]
    days: list[Day]
    warning: str | None
    """Set when the plan or its reserve is projected to be reached: which, and on which day."""


async def forecast(
    session: AsyncSession,
    definitions: Definitions,
    settings: Settings,
    line: object,
    *,
    now: datetime | None = None,
) -> Forecast:
    now = now or datetime.now(UTC)
    policy = await get_policy(session)
    today = now.astimezone(JST).date()
    this_month = today.replace(day=1)
    next_month = _month_after(this_month)
    horizon = datetime.combine(_month_after(next_month), datetime.min.time(), JST)
    limit, used, source = await _use(session, settings, line, policy.free_messages, this_month)
    reserve = policy.quota_reserve_percent
    plan = Plan(
        limit=limit,
        used=used,
        source=source,
        reserve_percent=reserve,
        allowed=None if limit is None else limit * (100 - reserve) // 100,
    )
    by_day = await projected_pushes(
        session, definitions, policy=policy, now=now, horizon=horizon.astimezone(UTC)
    )
    days: list[Day] = []
    months = [
        _month(plan, by_day, first=this_month, start=today, used=used, days=days),
        _month(plan, by_day, first=next_month, start=next_month, used=0, days=days),
    ]
    result = Forecast(
        generated_at=now, plan=plan, months=months, days=days, warning=_warning(plan, months)
    )
    _observe(result)
    return result


def _month(
    plan: Plan, by_day: dict[date, float], *, first: date, start: date, used: int, days: list[Day]
) -> Month:
    """One month from `start` on, its days appended to `days`: what is projected, the total
    with what was used, and the first day past the limit and past what steps may send."""
    month = Month(
        month=first.strftime("%Y-%m"),
        projected=0.0,
        total=float(used),
        runs_out_on=None,
        reserve_reached_on=None,
    )
    day, total = start, float(used)
    while day < _month_after(first):
        projected = by_day.get(day, 0.0)
        total += projected
        month.projected += projected
        days.append(Day(date=day, projected=round(projected, 2), total=round(total, 2)))
        if plan.limit is not None and month.runs_out_on is None and total > plan.limit:
            month.runs_out_on = day
        if plan.allowed is not None and month.reserve_reached_on is None and total > plan.allowed:
            month.reserve_reached_on = day
        day += timedelta(days=1)
    month.projected, month.total = round(month.projected, 2), round(total, 2)
    return month


def _month_after(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


async def _use(
    session: AsyncSession, settings: Settings, line: object, free: int | None, month: date
) -> tuple[int | None, int, str]:
    """The plan's limit, this month's use and where they come from: LINE's, else the
    policy's free messages and stepline's own pushes this month."""
    if settings.line_channel_access_token and isinstance(line, LinePusher):
        try:
            read = await line.get_quota()
        except LineError as exc:
            log.warning(
                "quota forecast: LINE's quota not read (%s); using stepline's count", exc.message
            )
        else:
            limit = read.limit if read.type == "limited" else None
            return limit, read.used, "line"
    start = datetime.combine(month, datetime.min.time(), JST).astimezone(UTC)
    used = (
        await session.exec(
            select(func.count()).where(
                Delivery.status == DeliveryStatus.SENT,
                Delivery.via == DeliveryVia.PUSH,
                col(Delivery.sent_at) >= start,
                counted(Delivery.enrollment_id),
            )
        )
    ).one()
    return free, used, "stepline"


def _warning(plan: Plan, months: list[Month]) -> str | None:
    for month in months:
        if month.runs_out_on is not None:
            return (
                f"the plan's {plan.limit} messages are projected to run out on "
                f"{month.runs_out_on} ({month.total:.0f} projected for {month.month})"
            )
        if month.reserve_reached_on is not None and plan.reserve_percent:
            return (
                f"step delivery is projected to reach the plan's reserve "
                f"({plan.reserve_percent}% kept back of {plan.limit}) on "
                f"{month.reserve_reached_on}: later messages are held"
            )
    return None


def _observe(result: Forecast) -> None:
    """The forecast in /metrics, and a warning in the log while it says the plan runs out."""
    for which, month in zip(("this", "next"), result.months, strict=True):
        metrics.QUOTA_FORECAST.labels(month=which).set(month.total)
    ends = next(
        (
            m.runs_out_on or m.reserve_reached_on
            for m in result.months
            if m.runs_out_on or m.reserve_reached_on
        ),
        None,
    )
    days = (ends - result.generated_at.astimezone(JST).date()).days if ends else -1
    metrics.QUOTA_RUNS_OUT_IN_DAYS.set(days)
    if result.warning:
        log.warning("quota forecast: %s", result.warning)
