"""`GET /channel/quota/forecast` (app/forecast.py): the pushes the waiting enrollments will
make, on their Japan-time day, against LINE's plan; the warning when the plan runs out, and
the /metrics gauges it sets."""

from datetime import UTC, datetime, timedelta

import httpx

from app.forecast import forecast
from core import metrics
from store.forecast import JST
from tests.api.helpers import enrollment_at, scenario, text, wait
from tests.support.stack import user

PUSHES = 11  # the messages after the day's wait: each a push, all on the same day


def later_pushes() -> dict:
    """A follow scenario: a welcome (a free reply), then a day's wait, then PUSHES pushes."""
    steps = [text(f"m{n}", f"Message {n}") for n in range(PUSHES)]
    return scenario(text("hello", "Welcome"), wait("day", "P1D"), *steps)


async def waiting_friend(stack, n: int) -> datetime:
    """A friend follows the scenario; the moment (Temporal's clock) its pushes fall due."""
    scenario_id = await stack.scenario(later_pushes())
    friend = user(n)
    await stack.follow(friend)
    row = await enrollment_at(stack, scenario_id, friend, "day")
    assert row.status == "waiting" and row.next_wake_at is not None
    wake = row.next_wake_at.replace(tzinfo=row.next_wake_at.tzinfo or UTC)
    temporal_now = await stack.env.get_current_time()
    assert abs(wake - (temporal_now + timedelta(days=1))) < timedelta(minutes=1)
    return wake


def near_midnight(moment: datetime) -> bool:
    local = moment.astimezone(JST)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return min(local - midnight, midnight + timedelta(days=1) - local) < timedelta(minutes=5)


async def test_the_forecast_needs_the_admin_token(stack):
    async with httpx.AsyncClient(base_url=str(stack.api.base_url), timeout=30) as client:
        bare = await client.get("/channel/quota/forecast")
        wrong = await client.get(
            "/channel/quota/forecast", headers={"authorization": "Bearer wrong"}
        )
    assert bare.status_code == wrong.status_code == 401


async def test_an_empty_channel_projects_nothing_and_lasts(stack):
    await stack.emu.put("/emulator/quota", json={"monthly_quota": 1000, "consumption": 5})
    answer = await stack.api.get("/channel/quota/forecast")
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["plan"] == {
        "limit": 1000, "used": 5, "source": "line", "reserve_percent": 0, "allowed": 1000,
    }  # fmt: skip
    assert [m["projected"] for m in found["months"]] == [0.0, 0.0]
    assert [m["total"] for m in found["months"]] == [5.0, 0.0]
    assert found["warning"] is None
    today = datetime.now(JST).date()
    days = [datetime.fromisoformat(d["date"]).date() for d in found["days"]]
    assert days[0] in (today, today + timedelta(days=1))  # a Japan midnight just passed
    assert days == [days[0] + timedelta(days=n) for n in range(len(days))]  # each day once
    assert days[-1].month != days[0].month and (days[-1] + timedelta(days=1)).day == 1
    assert {m["month"] for m in found["months"]} == {d.strftime("%Y-%m") for d in days}


async def test_a_waiting_push_lands_on_its_japan_day_and_runs_the_plan_out(stack):
    wake = await waiting_friend(stack, 0x51)
    day = wake.astimezone(JST).date()
    await stack.emu.put("/emulator/quota", json={"monthly_quota": 10, "consumption": 9})
    services = stack.app.state.services
    temporal_now = await stack.env.get_current_time()
    async with stack.db.reading() as session:
        found = await forecast(
            session, services.definitions, services.settings, services.line, now=temporal_now
        )
    by_day = {d.date: d.projected for d in found.days}
    assert by_day[day] == PUSHES
    assert sum(by_day.values()) == PUSHES  # nothing on any other day
    assert (found.plan.limit, found.plan.used, found.plan.source) == (10, 9, "line")
    this, following = found.months
    month = this if day.strftime("%Y-%m") == this.month else following
    assert month.projected == PUSHES and month.runs_out_on == day == month.reserve_reached_on
    used = 9 if month is this else 0
    assert month.total == used + PUSHES
    assert found.warning is not None and str(day) in found.warning
    assert "run out" in found.warning
    assert metrics.QUOTA_FORECAST.labels(month="this")._value.get() == this.total
    assert metrics.QUOTA_FORECAST.labels(month="next")._value.get() == following.total
    assert (
        metrics.QUOTA_RUNS_OUT_IN_DAYS._value.get()
        == (day - temporal_now.astimezone(JST).date()).days
    )

    # the route (the wall clock's now): the same push, the same plan
    answer = await stack.api.get("/channel/quota/forecast")
    assert answer.status_code == 200, answer.text
    routed = answer.json()
    assert routed["plan"]["limit"] == 10 and routed["plan"]["used"] == 9
    assert sum(d["projected"] for d in routed["days"]) == PUSHES
    real_now = datetime.now(UTC)
    if abs(real_now - temporal_now) < timedelta(minutes=1) and not near_midnight(real_now):
        pushed = [d["date"] for d in routed["days"] if d["projected"]]
        assert pushed == [str(day)]
        assert str(day) in routed["warning"]
    assert metrics.QUOTA_FORECAST.labels(month="this")._value.get() == routed["months"][0]["total"]


async def test_the_reserve_is_reached_before_the_plan(stack):
    wake = await waiting_friend(stack, 0x52)
    day = wake.astimezone(JST).date()
    await stack.api.put("/channel/policy", json={"quota_reserve_percent": 50})
    await stack.emu.put("/emulator/quota", json={"monthly_quota": 100, "consumption": 40})
    services = stack.app.state.services
    temporal_now = await stack.env.get_current_time()
    async with stack.db.reading() as session:
        found = await forecast(
            session, services.definitions, services.settings, services.line, now=temporal_now
        )
    assert (found.plan.allowed, found.plan.reserve_percent) == (50, 50)
    this, following = found.months
    month = this if day.strftime("%Y-%m") == this.month else following
    if month is this:  # 40 + 11 passes 50, not 100
        assert (month.reserve_reached_on, month.runs_out_on) == (day, None)
        assert "reserve" in found.warning and str(day) in found.warning
    else:  # next month starts from nothing: 11 reaches neither
        assert found.warning is None


async def test_a_paused_scenarios_enrollments_are_not_forecast_until_resumed(stack):
    wake = await waiting_friend(stack, 0x52)
    scenario_id = (await stack.api.get("/scenarios")).json()[-1]["id"]
    services = stack.app.state.services

    async def projected() -> float:
        async with stack.db.reading() as session:
            found = await forecast(session, services.definitions, services.settings, None)
        return sum(day.projected for day in found.days)

    assert await projected() == PUSHES
    assert (await stack.api.post(f"/scenarios/{scenario_id}/pause")).status_code == 202
    await stack.env.sleep(wake - await stack.env.get_current_time() + timedelta(minutes=1))
    await stack.until_status(scenario_id, user(0x52), "held", step="m0")
    assert await projected() == 0  # held for the operator: no day to count them on
    assert (await stack.api.post(f"/scenarios/{scenario_id}/resume")).status_code == 202
    assert (await stack.outcome(scenario_id, user(0x52))).status == "completed"
