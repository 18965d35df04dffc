"""Follow triggers (routes, valid period), windows across midnight, and what the Temporal UI
shows: summaries on timers and activities, current details."""

from datetime import UTC, datetime, timedelta

from core.windows import in_window
from tests.support.stack import user
from tests.workflows.test_failures import WELCOME, scenario, text, wait
from tests.workflows.test_journey import planned


async def test_routes_and_valid_period_decide_who_is_enrolled(stack):
    # follow times are LINE's (wall clock), not the test server's virtual clock
    now = datetime.now(UTC)
    by_route = await stack.scenario(
        scenario(WELCOME, trigger={"type": "follow", "routes": ["qr_code"]})
    )
    expired = await stack.scenario(
        scenario(
            WELCOME,
            trigger={"type": "follow", "added_until": (now - timedelta(days=1)).isoformat()},
        )
    )
    from_qr, unknown = user(60), user(61)
    assert (
        await stack.api.put(f"/friends/{from_qr}/route", json={"route": "qr_code"})
    ).status_code == 200
    await stack.follow(from_qr)
    await stack.follow(unknown)
    assert (await stack.outcome(by_route, from_qr)).status == "completed"
    assert [
        e["scenario_id"] for e in (await stack.api.get(f"/friends/{unknown}")).json()["enrollments"]
    ] == []
    assert (await stack.api.get(f"/scenarios/{expired}/enrollments")).json() == []
    assert await stack.texts(from_qr) == ["Welcome"]
    assert await stack.texts(unknown) == []


async def test_a_window_across_midnight_holds_until_it_opens(stack):
    late = {**text("late", "Good night"), "window": {"start": "22:00", "end": "02:00"}}
    scenario_id = await stack.scenario(scenario(wait("w", "PT1H"), late, timezone="Asia/Tokyo"))
    friend = user(62)
    await stack.follow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    sent_at = (await planned(stack, friend))["late"]
    assert in_window(sent_at, "Asia/Tokyo", "22:00", "02:00")


async def test_timers_and_activities_carry_summaries(stack):
    scenario_id = await stack.scenario(scenario(WELCOME, wait("day", "P1D"), text("next", "Next")))
    friend = user(63)
    await stack.follow(friend)
    await stack.until_texts(friend, ["Welcome"])
    await stack.env.sleep(timedelta(hours=1))
    metadata = await stack.enrollment(scenario_id, friend).query("__temporal_workflow_metadata")
    details = metadata.current_details
    assert "**test** · v1" in details and "step `day`: waiting until" in details
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    summaries = await stack.summaries(scenario_id, friend)
    assert "send welcome (1 message(s))" in summaries
    assert "wait 1 day → next" in summaries
    # the last push records the enrollment completed: no local activity of its own after it
    assert summaries[-1] == "send next (1 message(s)), then completed"
    assert not any(s.startswith("record completed") for s in summaries)
