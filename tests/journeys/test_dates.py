"""Date journeys on the time-skipping server: a birthday trigger enrols each friend at 10:00
(Tokyo) seven days before the date, again the next year, and moves with a corrected
birthday; a wait until a points-expiry date ends at 10:00 three days before it and moves
when the date changes mid-wait; no date, no enrollment (and no wait)."""

import asyncio
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from temporalio.client import WorkflowExecutionStatus

from core.dates import next_occurrence
from store.tables import Delivery, Enrollment
from tests.support.stack import user
from triggers.temporal import date_trigger_id

TOKYO = ZoneInfo("Asia/Tokyo")
HELLO = "Your birthday is next week: here is a present"
EXPIRY = "Your points expire in 3 days"
BIRTHDAY = {
    "name": "birthday",
    "timezone": "Asia/Tokyo",
    "trigger": {
        "type": "date",
        "attribute": "birthday",
        "offset": "-P7D",
        "at": "10:00",
        "yearly": True,
    },
    "steps": [{"id": "present", "type": "message", "messages": [{"type": "text", "text": HELLO}]}],
}
POINTS = {
    "name": "points",
    "timezone": "Asia/Tokyo",
    "trigger": {"type": "follow"},
    "steps": [
        {"id": "hello", "type": "message", "messages": [{"type": "text", "text": "Hi"}]},
        {
            "id": "before_expiry",
            "type": "wait",
            "until": {"attribute": "point_expiry", "offset": "-P3D", "at": "10:00"},
        },
        {"id": "expiry", "type": "message", "messages": [{"type": "text", "text": EXPIRY}]},
    ],
}


async def local_day(stack, days: int) -> date:
    """The Tokyo date `days` days after the (virtual) now."""
    return ((await stack.env.get_current_time()).astimezone(TOKYO) + timedelta(days=days)).date()


def birthday(day: date) -> str:
    """A birthday in 1990 on that month and day (not Feb 29: born in a year without one)."""
    return day.replace(year=1990, day=min(day.day, 28) if day.month == 2 else day.day).isoformat()


async def fires_at(stack, value: str, trigger: dict, after: datetime | None = None) -> datetime:
    moment = next_occurrence(
        value,
        trigger["offset"],
        trigger["at"],
        "Asia/Tokyo",
        yearly=trigger.get("yearly", False),
        after=after or await stack.env.get_current_time(),
    )
    assert moment is not None
    return moment


JUST_PAST = timedelta(seconds=1)


async def sleep_to(stack, moment: datetime) -> None:
    now = await stack.env.get_current_time()
    assert moment > now, (moment, now)
    await stack.env.sleep(moment - now)


async def sends(stack, user_id: str, step_id: str) -> list[datetime]:
    async with stack.db.session() as session:
        rows = await session.exec(
            select(Delivery)
            .where(Delivery.user_id == user_id, Delivery.step_id == step_id)
            .order_by(col(Delivery.planned_at))
        )
        return [row.planned_at.replace(tzinfo=None) for row in rows]


async def enrollments_of(stack, user_id: str) -> list[Enrollment]:
    async with stack.db.session() as session:
        return list(await session.exec(select(Enrollment).where(Enrollment.user_id == user_id)))


def near(moment: datetime, expected: datetime) -> bool:
    expected = expected.replace(tzinfo=None)
    return expected <= moment.replace(tzinfo=None) < expected + timedelta(minutes=1)


async def test_a_birthday_each_year_at_ten_seven_days_before(any_stack):
    stack = any_stack
    friend, undated, unreadable = user(1), user(2), user(3)
    value = birthday(await local_day(stack, 20))
    for who in (friend, undated, unreadable):
        await stack.follow(who)
    await stack.api.put(f"/friends/{friend}/attributes", json={"birthday": value})
    await stack.api.put(f"/friends/{unreadable}/attributes", json={"birthday": "someday"})
    await stack.scenario(BIRTHDAY)  # activated: everyone with a date scheduled
    first = await fires_at(stack, value, BIRTHDAY["trigger"])
    local = first.astimezone(TOKYO)
    assert (local.hour, local.minute) == (10, 0)
    week_later = local.date() + timedelta(days=7)  # perhaps in the next year
    born = date.fromisoformat(value)
    assert (week_later.month, week_later.day) == (born.month, born.day)
    assert first - await stack.env.get_current_time() < timedelta(days=20)

    await sleep_to(stack, first - timedelta(minutes=5))
    assert await stack.texts(friend) == []
    # just past the moment: time stops there while the enrollment the fire recorded is started
    # (skipping further first would make its push late by however far it skipped)
    await sleep_to(stack, first + JUST_PAST)
    await stack.until_texts(friend, [HELLO])
    (sent,) = await sends(stack, friend, "present")
    assert near(sent, first)

    second = await fires_at(stack, value, BIRTHDAY["trigger"], after=first)
    assert second.astimezone(TOKYO).year == local.year + 1
    await sleep_to(stack, second + JUST_PAST)
    await stack.until_texts(friend, [HELLO, HELLO])
    assert all(
        near(s, m)
        for s, m in zip(await sends(stack, friend, "present"), [first, second], strict=True)
    )
    assert [row.entry for row in await enrollments_of(stack, friend)] == [1, 2]
    # no date, or one that is no date: never enrolled
    assert await enrollments_of(stack, undated) == []
    assert await enrollments_of(stack, unreadable) == []
    assert await stack.texts(undated) == await stack.texts(unreadable) == []


async def test_a_corrected_birthday_moves_the_schedule(stack):
    friend = user(4)
    await stack.follow(friend)
    await stack.scenario(BIRTHDAY)
    wrong = birthday(await local_day(stack, 20))
    right = birthday(await local_day(stack, 40))
    # set after the activation: the change itself starts the friend's schedule
    answer = await stack.api.put(f"/friends/{friend}/attributes", json={"birthday": wrong})
    assert answer.status_code == 200
    stale = await fires_at(stack, wrong, BIRTHDAY["trigger"])
    await stack.env.sleep(timedelta(days=3))
    await stack.api.put(f"/friends/{friend}/attributes", json={"birthday": right})
    moved = await fires_at(stack, right, BIRTHDAY["trigger"])
    assert moved - stale > timedelta(days=19)

    await sleep_to(stack, stale + timedelta(hours=1))  # the old date: nothing
    assert await stack.texts(friend) == []
    assert await enrollments_of(stack, friend) == []
    await sleep_to(stack, moved + JUST_PAST)
    await stack.until_texts(friend, [HELLO])
    (sent,) = await sends(stack, friend, "present")
    assert near(sent, moved)


async def test_a_points_expiry_wait_ends_three_days_before_and_moves(stack):
    friend, undated = user(5), user(6)
    expiry = (await local_day(stack, 10)).isoformat()
    await stack.api.put(f"/friends/{friend}/attributes", json={"point_expiry": expiry})
    scenario_id = await stack.scenario(POINTS)
    await stack.follow(friend)
    await stack.follow(undated)
    # no date: the wait goes on at once
    await stack.until_texts(undated, ["Hi", EXPIRY])
    await stack.until_texts(friend, ["Hi"])
    state = await stack.until_status(scenario_id, friend, "waiting", step="before_expiry")
    first = await fires_at(stack, expiry, POINTS["steps"][1]["until"])
    assert state.next_wake_at == first
    local = first.astimezone(TOKYO)
    assert (local.date(), local.hour) == (date.fromisoformat(expiry) - timedelta(3), 10)

    await stack.env.sleep(timedelta(days=2))
    later = (await local_day(stack, 20)).isoformat()  # the points were extended mid-wait
    await stack.api.put(f"/friends/{friend}/attributes", json={"point_expiry": later})
    moved = await fires_at(stack, later, POINTS["steps"][1]["until"])
    for _ in range(200):  # the signal moves the wake (real time, virtual time standing still)
        if (state := await stack.status(scenario_id, friend)).next_wake_at == moved:
            break
        await asyncio.sleep(0.05)
    assert state.next_wake_at == moved

    await sleep_to(stack, first + timedelta(hours=1))
    assert await stack.texts(friend) == ["Hi"]
    outcome = await stack.outcome(scenario_id, friend)
    assert outcome.status == "completed"
    assert await stack.texts(friend) == ["Hi", EXPIRY]
    (sent,) = await sends(stack, friend, "expiry")
    assert near(sent, moved)


async def test_bad_date_definitions_name_the_field(stack):
    for where, bad, path in [
        ("trigger", {**BIRTHDAY["trigger"], "offset": "P1M"}, "trigger.offset"),
        ("trigger", {**BIRTHDAY["trigger"], "at": "25:00"}, "trigger.at"),
        ("trigger", {**BIRTHDAY["trigger"], "offset": "-P400D"}, "trigger.offset"),
    ]:
        answer = await stack.api.post("/scenarios", json={**BIRTHDAY, where: bad})
        assert answer.status_code == 422, answer.text
        assert path in answer.text
    steps = [dict(step) for step in POINTS["steps"]]
    steps[1] = {**steps[1], "until": {"attribute": "point_expiry", "at": "10:60"}}
    answer = await stack.api.post("/scenarios", json={**POINTS, "steps": steps})
    assert answer.status_code == 422
    assert "steps[1].until.at" in answer.text


async def test_a_new_version_of_the_trigger_moves_the_schedule(stack):
    friend = user(7)
    await stack.follow(friend)
    value = birthday(await local_day(stack, 20))
    await stack.api.put(f"/friends/{friend}/attributes", json={"birthday": value})
    scenario_id = await stack.scenario(BIRTHDAY)
    stale = await fires_at(stack, value, BIRTHDAY["trigger"])
    closer = {**BIRTHDAY["trigger"], "offset": "-P3D", "at": "18:00"}
    answer = await stack.api.put(f"/scenarios/{scenario_id}", json={**BIRTHDAY, "trigger": closer})
    assert answer.status_code == 202, answer.text  # every friend's schedule moves: an operation
    assert answer.json()["operation"]["action"] == "dates"
    moved = await fires_at(stack, value, closer)
    assert moved - stale == timedelta(days=4, hours=8)

    await sleep_to(stack, stale + timedelta(hours=1))
    assert await stack.texts(friend) == []
    await sleep_to(stack, moved + JUST_PAST)
    await stack.until_texts(friend, [HELLO])
    (sent,) = await sends(stack, friend, "present")
    assert near(sent, moved)


async def test_an_ended_scenario_enrols_nobody_and_its_schedules_end(stack):
    friend = user(8)
    await stack.follow(friend)
    value = birthday(await local_day(stack, 10))
    await stack.api.put(f"/friends/{friend}/attributes", json={"birthday": value})
    scenario_id = await stack.scenario(BIRTHDAY)
    handle = stack.env.client.get_workflow_handle(date_trigger_id(scenario_id, friend))
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    assert (await stack.api.post(f"/scenarios/{scenario_id}/end")).status_code == 202
    # stopped at once, not at its moment up to a year later
    assert (await handle.describe()).status == WorkflowExecutionStatus.TERMINATED
    due = await fires_at(stack, value, BIRTHDAY["trigger"])
    await sleep_to(stack, due + timedelta(minutes=5))
    assert await enrollments_of(stack, friend) == []
    assert await stack.texts(friend) == []
