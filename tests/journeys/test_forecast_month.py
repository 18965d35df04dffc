"""The quota forecast against a run (issue 22): friends scheduled into a few scenarios under
quiet hours and a closed day, the forecast made, then the time-skipping server runs the rest of
this month and the next — and each day's pushes are the forecast's within 5 %."""

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta, timezone

from sqlmodel import col, select

from app.forecast import forecast
from domain.statuses import LIVE
from store.tables import Delivery, Enrollment
from tests.api.helpers import scenario, text, wait
from tests.journeys.test_policy import policy
from tests.support.stack import user

JST = timezone(timedelta(hours=9))

SERIES = scenario(
    text("welcome", "Welcome"),
    wait("day", "P1D"),
    {**text("coupon", "Your coupon"), "window": {"start": "10:00", "end": "20:00"}},
    wait("week", "P6D"),
    text("tips", "Tips"),
    wait("fortnight", "P14D"),
    text("again", "Come again"),
    name="series",
)
BRANCHY = scenario(
    text("hello", "Hello"),
    wait("three", "P3D"),
    {
        "id": "who",
        "type": "branch",
        "branches": [
            {
                "label": "women",
                "when": {"attribute": "gender", "equals": "female"},
                "steps": [text("ladies", "For you")],
            }
        ],
        "otherwise": [],
    },
    wait("five", "P5D"),
    text("after", "After"),
    name="branchy",
)
SPLIT = scenario(
    text("hi", "Hi"),
    {
        "id": "ab",
        "type": "split",
        "arms": [
            {"label": "A", "weight": 1, "steps": [wait("soon", "P2D"), text("a", "A")]},
            {"label": "B", "weight": 1, "steps": [wait("later", "P9D"), text("b", "B")]},
        ],
    },
    wait("ten", "P10D"),
    text("last", "Last"),
    name="split",
)


async def settled_rows(stack, count: int) -> None:
    """Until every live enrollment's row says where it waits (its wake recorded)."""
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        async with stack.db.session() as session:
            rows = list(await session.exec(select(Enrollment)))
        live = [row for row in rows if row.status in LIVE]
        if len(rows) == count and all(row.next_wake_at is not None for row in live):
            return
        assert asyncio.get_running_loop().time() < deadline, [(r.id, r.status) for r in rows]
        await asyncio.sleep(0.1)


async def cohort(stack, first: int) -> list[str]:
    friends = [user(first + n) for n in range(10)]
    for n, friend in enumerate(friends):
        await stack.follow(friend)
        gender = "female" if n % 2 else "male"
        await stack.api.put(f"/friends/{friend}/attributes", json={"gender": gender})
    return friends


async def test_the_forecast_matches_a_simulated_month_day_by_day(stack):
    now = await stack.env.get_current_time()
    closed = (now + timedelta(days=12)).astimezone(JST).date()
    await policy(stack, quiet_hours={"start": "21:00", "end": "09:00"}, closed_days=[str(closed)])
    for definition in (SERIES, BRANCHY, SPLIT):
        await stack.scenario(definition)
    await cohort(stack, 1100)  # these go through the branch first: the shares come from them
    # four days on, at noon in Tokyo (out of the quiet hours): the second cohort's first
    # messages go at once, so each of them has taken its split arm before the forecast
    noon = datetime.combine((now + timedelta(days=4)).astimezone(JST).date(), time(12), JST)
    await stack.env.sleep(noon - now)
    await cohort(stack, 1200)
    await settled_rows(stack, 60)

    at = await stack.env.get_current_time()
    services = stack.app.state.services
    async with stack.db.reading() as session:
        projected = await forecast(session, services.definitions, services.settings, None, now=at)
    expected = {day.date: day.projected for day in projected.days}
    assert sum(expected.values()) > 50

    end = datetime.combine(max(expected) + timedelta(days=1), datetime.min.time(), JST)
    await stack.env.sleep(end - at)
    async with stack.db.session() as session:
        rows = list(
            await session.exec(
                select(Delivery).where(
                    col(Delivery.planned_at) >= at,
                    Delivery.via == "push",
                    Delivery.status == "sent",
                )
            )
        )
    actual: Counter[date] = Counter(
        (row.planned_at if row.planned_at.tzinfo else row.planned_at.replace(tzinfo=UTC))
        .astimezone(JST)
        .date()
        for row in rows
    )
    assert not actual[closed] and not expected.get(closed)  # the closed day sends nothing
    for day in sorted(set(expected) | set(actual)):
        assert abs(expected.get(day, 0.0) - actual[day]) <= 0.05 * actual[day] + 0.01, (
            day,
            expected.get(day),
            actual[day],
        )
