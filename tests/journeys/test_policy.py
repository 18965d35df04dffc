"""The channel's delivery policy with exact virtual send times: quiet hours and holidays, the
catch-up spacing of held messages, and a per-friend cap deferring (never dropping) a message."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from core.calendar import next_allowed
from scenarios.policy import ChannelPolicy
from store.policy import set_policy
from tests.api.helpers import PUSHED
from tests.support.stack import user
from tests.workflows.test_failures import scenario, text, wait
from tests.workflows.test_journey import planned

TOKYO = ZoneInfo("Asia/Tokyo")
SLACK = timedelta(seconds=5)  # a workflow task's clock may run a moment past its timer


async def policy(stack, **rules) -> None:
    async with stack.db.session() as session:
        await set_policy(session, policy=ChannelPolicy(**rules))


def until(now: datetime, local: datetime) -> str:
    """An ISO duration from `now` to a local moment."""
    return f"PT{int((local - now).total_seconds())}S"


def close(actual: datetime, expected: datetime) -> bool:
    return expected <= actual <= expected + SLACK


async def test_quiet_hours_and_a_holiday_move_a_message_to_the_next_allowed_moment(stack):
    await policy(stack, quiet_hours={"start": "21:00", "end": "09:00"}, skip_holidays=True)
    now = await stack.env.get_current_time()
    today = now.astimezone(TOKYO).date()
    holiday = next(
        day
        for day in sorted(holidays.JP(years=[today.year, today.year + 1]))
        if day > today + timedelta(days=1)
    )
    due = datetime.combine(holiday, time(15, 0), tzinfo=TOKYO)  # mid-afternoon of a holiday
    scenario_id = await stack.scenario(
        scenario(
            text("hello", "Hello"), wait("to-holiday", until(now, due)), text("later", "Later")
        )
    )
    friend = user(700)
    await stack.follow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    sent = (await planned(stack, friend))["later"]
    expected = next_allowed(due, "Asia/Tokyo", quiet=("21:00", "09:00"), skip_holidays=True)
    assert expected.astimezone(TOKYO).time() == time(9, 0)  # the next working day, 09:00
    assert expected.astimezone(TOKYO).date() > holiday
    assert close(sent, expected), (sent, expected)


async def test_held_messages_are_spaced_not_sent_at_the_same_moment(stack):
    await policy(stack, catch_up_gap="PT5M")
    now = await stack.env.get_current_time()
    local = now.astimezone(TOKYO)
    late = datetime.combine(local.date(), time(22, 0), tzinfo=TOKYO)
    if late <= local:
        late += timedelta(days=1)
    windowed = {"start": "10:00", "end": "20:00"}
    steps = [wait("to-night", until(now, late))]
    first = await stack.scenario(scenario(*steps, {**text("a", "From A"), "window": windowed}))
    second = await stack.scenario(scenario(*steps, {**text("b", "From B"), "window": windowed}))
    friend = user(701)
    await stack.follow(friend)
    for scenario_id in (first, second):
        assert (await stack.outcome(scenario_id, friend)).status == "completed"
    times = sorted((await planned(stack, friend)).values())
    opening = datetime.combine(late.date() + timedelta(days=1), time(10, 0), tzinfo=TOKYO)
    assert close(times[0], opening)
    assert close(times[1], times[0] + timedelta(minutes=5))


async def test_a_one_per_day_cap_defers_and_later_waits_count_from_the_real_send(stack):
    await policy(stack, max_per_day=1)
    scenario_id = await stack.scenario(
        scenario(
            text("m1", "One"),
            wait("hour", "PT1H"),
            text("m2", "Two"),
            {**wait("day", "P1D"), "id": "day"},
            text("m3", "Three"),
        )
    )
    friend = user(702)
    await stack.follow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    sent = await planned(stack, friend)
    assert close(sent["m2"], sent["m1"] + timedelta(days=1))  # due an hour later: deferred
    assert close(sent["m3"], sent["m2"] + timedelta(days=1))  # the day's wait began at the send
    assert await stack.texts(friend) == ["One", "Two", "Three"]  # deferred, never dropped


async def test_the_cap_counts_every_scenario_of_the_friend(stack):
    await policy(stack, max_per_day=1)
    first = await stack.scenario(scenario(text("a1", "A1")))
    second = await stack.scenario(scenario(text("b1", "B1")))
    friend = user(703)
    await stack.follow(friend)
    for scenario_id in (first, second):
        assert (await stack.outcome(scenario_id, friend)).status == "completed"
    earlier, later = sorted((await planned(stack, friend)).values())
    assert close(later, earlier + timedelta(days=1))


async def test_a_resumed_scenario_releases_its_friends_spread_out_in_order(stack):
    scenario_id = await stack.scenario(scenario(wait("hour", "PT1H"), text("news", "News")))
    friends = [user(710 + n) for n in range(4)]
    for friend in friends:
        await stack.follow(friend)
    assert (await stack.api.post(f"/scenarios/{scenario_id}/pause")).status_code == 202
    await stack.env.sleep(timedelta(hours=2))
    for friend in friends:
        held = await stack.until_status(scenario_id, friend, "held", step="news")
        assert held.hold_reason == "pause"
    resumed = await stack.api.post(f"/scenarios/{scenario_id}/resume", params={"spread": "PT20M"})
    assert resumed.status_code == 202, resumed.text
    operation = resumed.json()["operation"]
    assert (operation["action"], operation["total"]) == ("resume", len(friends))
    for friend in friends:
        assert (await stack.outcome(scenario_id, friend)).status == "completed"
    sent = [(await planned(stack, friend))["news"] for friend in friends]
    gaps = [later - earlier for earlier, later in zip(sent, sent[1:], strict=False)]
    assert all(timedelta(minutes=5) - SLACK <= gap <= timedelta(minutes=5) + SLACK for gap in gaps)


async def test_a_bad_spread_is_refused_and_changes_nothing(stack):
    scenario_id = await stack.scenario(scenario(text("hi", "Hi")))
    assert (await stack.api.post(f"/scenarios/{scenario_id}/pause")).status_code == 202
    answer = await stack.api.post(f"/scenarios/{scenario_id}/resume", params={"spread": "P2D"})
    assert answer.status_code == 422 and answer.json()["detail"][0]["path"] == "spread"
    assert (await stack.api.get(f"/scenarios/{scenario_id}")).json()["status"] == "paused"


async def test_the_quota_reserve_holds_step_delivery_until_the_plan_grows(stack):
    await policy(stack, quota_reserve_percent=20)
    await stack.emu.put("/emulator/quota", json={"monthly_quota": 100, "consumption": 78})
    steps = [text(f"m{n}", f"Message {n}") for n in range(1, 5)]
    scenario_id = await stack.scenario(scenario(*steps, **PUSHED))
    friend = user(720)
    await stack.follow(friend)
    # 80 of 100 are for step delivery: two more, then held (LINE would have taken 22 more)
    held = await stack.until_status(scenario_id, friend, "held", step="m3")
    assert held.hold_reason == "quota"
    assert await stack.texts(friend) == ["Message 1", "Message 2"]
    await stack.emu.put("/emulator/quota", json={"monthly_quota": 1000})  # a bigger plan
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    sent = await planned(stack, friend)
    assert timedelta(hours=1) <= sent["m3"] - sent["m2"] < timedelta(hours=1, minutes=1)
    assert await stack.texts(friend) == [f"Message {n}" for n in range(1, 5)]


async def test_friends_held_by_the_monthly_limit_resume_in_their_original_order(stack):
    await stack.emu.put("/emulator/quota", json={"monthly_quota": 0})
    scenario_id = await stack.scenario(scenario(text("hello", "Hello"), **PUSHED))
    friends = [user(730 + n) for n in range(3)]
    for friend in friends:
        await stack.follow(friend)
        await stack.until_status(scenario_id, friend, "held", step="hello")
        await stack.env.sleep(timedelta(minutes=10))
    await stack.emu.put("/emulator/quota", json={"monthly_quota": 1000})
    for friend in friends:
        assert (await stack.outcome(scenario_id, friend)).status == "completed"
    delivered = [
        push["to"]
        for push in (await stack.emu.get("/emulator/messages")).json()
        if push["delivered"]
    ]
    assert delivered == friends  # each re-checks an hour after its hold: first held, first sent


async def test_the_delivery_cap_is_hit_exactly_under_concurrent_sends(any_stack):
    stack = any_stack
    scenario_id = await stack.scenario(scenario(text("offer", "Offer"), delivery_cap=10))
    friends = [user(800 + n) for n in range(30)]
    await stack.follow_many(friends)
    # once the cap is reached the scenario stops taking friends (LINE's 配信数の上限)
    rows = (await stack.api.get(f"/scenarios/{scenario_id}/enrollments?limit=100")).json()
    outcomes = [await stack.outcome(scenario_id, row["user_id"]) for row in rows]
    assert sum(outcome.status == "completed" for outcome in outcomes) == 10
    assert {outcome.status for outcome in outcomes} <= {"completed", "capped"}
    delivered = [push["to"] for push in (await stack.emu.get("/emulator/messages")).json()]
    assert len(delivered) == len(set(delivered)) == 10
    scenario_row = (await stack.api.get(f"/scenarios/{scenario_id}")).json()
    assert scenario_row["sent_count"] == 10


async def test_on_unblock_ignore_does_not_start_over_for_a_returning_friend(stack):
    restart = await stack.scenario(scenario(text("hi", "Welcome")))
    ignore = await stack.scenario(scenario(text("hi", "Welcome once"), on_unblock="ignore"))
    friend, newcomer = user(740), user(741)
    await stack.follow(friend)
    for scenario_id in (restart, ignore):
        assert (await stack.outcome(scenario_id, friend)).status == "completed"
    await stack.unfollow(friend)
    answer = await stack.follow(friend)
    assert answer["event"]["follow"]["isUnblocked"] is True
    assert (await stack.outcome(restart, friend, epoch=2)).status == "completed"
    enrolled = (await stack.api.get(f"/scenarios/{ignore}/enrollments")).json()
    assert [row["id"] for row in enrolled] == [f"enrollment:{ignore}:{friend}:1"]
    assert sorted(await stack.texts(friend)) == ["Welcome", "Welcome", "Welcome once"]
    await stack.follow(newcomer)  # a first add is not an unblock: enrolled as usual
    assert (await stack.outcome(ignore, newcomer)).status == "completed"


RESUMING = scenario(
    text("m1", "One"),
    wait("d1", "P1D"),
    text("m2", "Two"),
    wait("d2", "P1D"),
    text("m3", "Three"),
    on_unblock="resume",
    resume_grace="PT12H",
)


async def test_on_unblock_resume_goes_on_and_skips_what_is_past_the_grace(stack):
    scenario_id = await stack.scenario(RESUMING)
    friend = user(750)
    await stack.follow(friend)
    await stack.until_status(scenario_id, friend, "waiting", step="d1")
    await stack.unfollow(friend)
    await stack.env.sleep(timedelta(days=1, hours=13))  # `m2` fell due 13 hours ago
    await stack.follow(friend)
    ended = await stack.outcome(scenario_id, friend)  # the same enrollment, epoch 1
    assert (ended.status, ended.skipped) == ("completed", ["m2"])
    assert await stack.texts(friend) == ["One", "Three"]
    enrolled = (await stack.api.get(f"/scenarios/{scenario_id}/enrollments")).json()
    assert [row["id"] for row in enrolled] == [f"enrollment:{scenario_id}:{friend}:1"]


async def test_on_unblock_resume_sends_what_fell_due_within_the_grace_at_once(stack):
    scenario_id = await stack.scenario(RESUMING)
    friend = user(751)
    await stack.follow(friend)
    await stack.until_status(scenario_id, friend, "waiting", step="d1")
    await stack.unfollow(friend)
    await stack.env.sleep(timedelta(days=1, hours=2))  # `m2` fell due 2 hours ago
    await stack.follow(friend)
    await stack.until_texts(friend, ["One", "Two"])  # at the unblock, not at the next step
    ended = await stack.outcome(scenario_id, friend)
    assert (ended.status, ended.skipped) == ("completed", [])
    assert await stack.texts(friend) == ["One", "Two", "Three"]


async def test_on_unblock_resume_never_back_ends_blocked(stack):
    scenario_id = await stack.scenario(RESUMING)
    friend = user(752)
    await stack.follow(friend)
    await stack.until_status(scenario_id, friend, "waiting", step="d1")
    await stack.unfollow(friend)
    ended = await stack.outcome(scenario_id, friend)
    assert (ended.status, ended.skipped) == ("blocked", ["m2", "m3"])
    assert await stack.texts(friend) == ["One"]


async def test_messages_due_on_closed_days_go_out_after_them_spaced(stack):
    """A shop closed for three days: the messages of two scenarios that fall due meanwhile are
    held (as for quiet hours) and go out the morning after, the catch-up gap apart; what comes
    after them waits from the real send."""
    now = await stack.env.get_current_time()
    first_day = now.astimezone(TOKYO).date() + timedelta(days=2)
    last_day = first_day + timedelta(days=2)
    await policy(
        stack,
        closed_days=[f"{first_day}/{last_day}"],
        quiet_hours={"start": "21:00", "end": "09:00"},
        catch_up_gap="PT10M",
    )
    noon, evening = (datetime.combine(first_day, time(h, 0), tzinfo=TOKYO) for h in (12, 18))
    coupon = await stack.scenario(
        scenario(
            wait("to-closure", until(now, noon)),
            text("coupon", "Coupon"),
            wait("a-day", "P1D"),
            text("reminder", "Reminder"),
        )
    )
    news = await stack.scenario(
        scenario(wait("to-evening", until(now, evening)), text("news", "News"))
    )
    friend = user(702)
    await stack.follow(friend)
    for scenario_id in (coupon, news):
        assert (await stack.outcome(scenario_id, friend)).status == "completed"
    sent = await planned(stack, friend)
    reopening = datetime.combine(last_day + timedelta(days=1), time(9, 0), tzinfo=TOKYO)
    released = sorted((sent["coupon"], sent["news"]))
    assert close(released[0], reopening), released[0].astimezone(TOKYO)
    assert close(released[1], released[0] + timedelta(minutes=10))  # never at the same moment
    assert close(sent["reminder"], sent["coupon"] + timedelta(days=1))
    texts = await stack.texts(friend)
    assert sorted(texts[:2]) == ["Coupon", "News"] and texts[2:] == ["Reminder"]


async def silent_texts(stack, friend: str) -> list[tuple[str, bool]]:
    """(text, sent with notificationDisabled) of each message LINE delivered to the friend."""
    return [
        (push["messages"][0]["text"], push["silent"])
        for push in await stack.received(friend)
        if push["delivered"]
    ]


async def test_a_silent_step_goes_without_a_notification_the_others_with(stack):
    scenario_id = await stack.scenario(
        scenario(text("hello", "Hello"), {**text("news", "News"), "silent": True})
    )
    friend = user(703)
    await stack.follow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await silent_texts(stack, friend) == [("Hello", False), ("News", True)]


async def test_quiet_hours_in_silent_mode_send_at_once_without_a_notification(stack):
    """`quiet_hours_mode: silent`: what falls due in the quiet hours goes at its time, silently
    (not held to their end); what falls due outside them notifies as usual."""
    await policy(stack, quiet_hours={"start": "21:00", "end": "09:00"}, quiet_hours_mode="silent")
    now = await stack.env.get_current_time()
    local = now.astimezone(TOKYO)
    night = datetime.combine(local.date(), time(23, 0), tzinfo=TOKYO)
    if night <= local + timedelta(minutes=5):
        night += timedelta(days=1)
    morning = datetime.combine(night.date() + timedelta(days=1), time(10, 0), tzinfo=TOKYO)
    scenario_id = await stack.scenario(
        scenario(
            wait("to-night", until(now, night)),
            text("night", "Night"),
            wait("to-morning", f"PT{int((morning - night).total_seconds())}S"),
            text("morning", "Morning"),
        )
    )
    friend = user(704)
    await stack.follow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    sent = await planned(stack, friend)
    assert abs(sent["night"] - night) < SLACK  # at its time (to the second): not held to 09:00
    assert await silent_texts(stack, friend) == [("Night", True), ("Morning", False)]
