"""Who waits where (GET /scenarios/{id}/enrollments) and the numbers (GET /scenarios/{id}/stats)."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.api.helpers import enrollment_at, scenario, text, wait
from tests.support.stack import user

DAY = 86400


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_waiting_enrollments_are_listed_with_step_and_wake_up(stack):
    scenario_id = await stack.scenario(
        scenario(text("welcome", "Welcome"), wait("wait-1d", "P1D"), text("later", "Later"))
    )
    first, second = user(90), user(91)
    for friend in (first, second):
        await stack.follow(friend)
        await enrollment_at(stack, scenario_id, friend, "wait-1d")
    now = await stack.env.get_current_time()

    answer = await stack.api.get(
        f"/scenarios/{scenario_id}/enrollments", params={"status": "waiting"}
    )
    assert answer.status_code == 200
    rows = answer.json()
    assert sorted(row["user_id"] for row in rows) == [first, second]
    for row in rows:
        assert row["id"] == f"enrollment:{scenario_id}:{row['user_id']}:1"
        assert (row["status"], row["current_step"], row["version"]) == ("waiting", "wait-1d", 1)
        assert row["hold_reason"] is None and row["ended_at"] is None
        wake = parse(row["next_wake_at"])
        assert abs(wake - (now + timedelta(days=1))) < timedelta(minutes=1)

    completed = await stack.api.get(
        f"/scenarios/{scenario_id}/enrollments", params={"status": "completed"}
    )
    assert completed.json() == []
    everyone = await stack.api.get(f"/scenarios/{scenario_id}/enrollments")
    assert len(everyone.json()) == 2
    page = await stack.api.get(f"/scenarios/{scenario_id}/enrollments", params={"limit": 1})
    assert len(page.json()) == 1

    # (and let them finish: a timer left behind would fire with no worker, and hold the
    # time-skipping server still for every later test)
    for friend in (first, second):
        assert (await stack.outcome(scenario_id, friend)).status == "completed"
    done = await stack.api.get(
        f"/scenarios/{scenario_id}/enrollments", params={"status": "completed"}
    )
    assert {(r["user_id"], r["current_step"], r["next_wake_at"]) for r in done.json()} == {
        (first, "later", None),
        (second, "later", None),
    }


@pytest.mark.parametrize(
    "params, path",
    [
        ({"status": "asleep"}, "status"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 10**20}, "offset"),
    ],
)
async def test_bad_enrollment_query_is_422(shared, params, path):
    created = await shared.api.post("/scenarios", json=scenario(text("hi", "Hi")))
    answer = await shared.api.get(f"/scenarios/{created.json()['id']}/enrollments", params=params)
    assert answer.status_code == 422, answer.text
    assert [p["path"] for p in answer.json()["detail"]] == [path]


def stats_of(**numbers) -> dict:
    replies = numbers.get("replies", 0)  # free first messages: the rest is counted
    return {
        "enrolled": 0,
        "completed": 0,
        "active": 0,
        "blocked": 0,
        "exited": 0,
        "ended": 0,
        "failed": 0,
        "messages_sent": 0,
        "replies": replies,
        "counted": numbers.get("messages_sent", 0) - replies,
        # no price in the channel policy: no costs
        "message_price_yen": None,
        "cost_yen": None,
        "saved_yen": None,
        # no goal: no conversion figures (tests/api/test_stats.py has them)
        "goal": None,
        "converted": None,
        "conversion_rate": None,
        "tests": [],
        "surveys": [],
        "holdouts": [],
        **numbers,
    }


TYPES = {"wait-1d": "wait", "split": "branch"}  # the others are message steps


def step(step_id: str, entered: int, sent: int = 0, blocked: int = 0, replies: int = 0) -> dict:
    return {
        "id": step_id,
        "type": TYPES.get(step_id, "message"),
        "entered": entered,
        "sent": sent,
        "failed": 0,
        "clicks": 0,
        "unique_clicks": 0,
        "conversions": None,
        "blocked": blocked,
        "skipped": 0,
        "replies": replies,
        "counted": sent - replies,
        "cost_yen": None,
        "saved_yen": None,
    }


def taken(vip: int, gold: int, otherwise: int) -> list[dict]:
    return [
        {
            "step": "split",
            "type": "branch",
            "label": label,
            "taken": count,
            "conversions": None,
            "conversion_rate": None,
        }
        for label, count in (("VIP", vip), ("gold", gold), ("otherwise", otherwise))
    ]


async def test_stats_count_enrollments_steps_and_branches(stack):
    vip, gold, plain, gone = user(80), user(81), user(82), user(83)
    audience = await stack.api.post(
        "/audiences", json={"name": "VIP", "kind": "upload", "user_ids": [vip]}
    )
    await stack.api.put(f"/friends/{gold}/attributes", json={"plan": "gold"})
    definition = scenario(
        text("welcome", "Welcome"),
        wait("wait-1d", "P1D"),
        {
            "id": "split",
            "type": "branch",
            "branches": [
                {
                    "label": "VIP",
                    "when": {"audience": audience.json()["id"]},
                    "steps": [text("vip", "V")],
                },
                {
                    "label": "gold",
                    "when": {"attribute": "plan", "equals": "gold"},
                    "steps": [text("gold", "G")],
                },
            ],
            "otherwise": [text("other", "O")],
        },
    )
    scenario_id = await stack.scenario(definition)
    empty = (await stack.api.get(f"/scenarios/{scenario_id}/stats")).json()
    assert empty == stats_of(
        steps=[step(s, 0) for s in ("welcome", "wait-1d", "split", "vip", "gold", "other")],
        branches=taken(0, 0, 0),
    )

    # two friends added 20 days ago (LINE's timestamps), two now
    real_clock = stack.emulator.clock
    stack.emulator.clock = lambda: time.time() - 20 * DAY
    try:
        for friend in (vip, gold):
            await stack.follow(friend)
    finally:
        stack.emulator.clock = real_clock
    for friend in (plain, gone):
        await stack.follow(friend)
    await enrollment_at(stack, scenario_id, gone, "wait-1d")
    await stack.unfollow(gone)
    assert (await stack.outcome(scenario_id, gone)).status == "blocked"
    for friend in (vip, gold, plain):
        assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(vip) == ["Welcome", "V"]
    assert await stack.texts(gold) == ["Welcome", "G"]
    assert await stack.texts(plain) == ["Welcome", "O"]

    answer = await stack.api.get(f"/scenarios/{scenario_id}/stats")
    assert answer.status_code == 200
    assert answer.json() == stats_of(
        enrolled=4,
        completed=3,
        blocked=1,
        messages_sent=7,
        replies=2,  # plain's and gone's welcomes; vip and gold were added 20 days ago
        steps=[
            step("welcome", 4, 4, replies=2),
            step("wait-1d", 4, blocked=1),  # where `gone` blocked
            step("split", 3),
            step("vip", 1, 1),
            step("gold", 1, 1),
            step("other", 1, 1),
        ],
        branches=taken(1, 1, 1),
    )

    cut = datetime.now(UTC) - timedelta(days=10)
    recent = await stack.api.get(
        f"/scenarios/{scenario_id}/stats", params={"from": cut.isoformat()}
    )
    assert recent.json() == stats_of(
        enrolled=2,
        completed=1,
        blocked=1,
        messages_sent=3,
        replies=2,
        steps=[
            step("welcome", 2, 2, replies=2),
            step("wait-1d", 2, blocked=1),
            step("split", 1),
            step("vip", 0),
            step("gold", 0),
            step("other", 1, 1),
        ],
        branches=taken(0, 0, 1),
    )
    older = await stack.api.get(
        f"/scenarios/{scenario_id}/stats",
        params={"from": (cut - timedelta(days=30)).isoformat(), "to": cut.isoformat()},
    )
    assert older.json() == stats_of(
        enrolled=2,
        completed=2,
        messages_sent=4,
        steps=[
            step("welcome", 2, 2),
            step("wait-1d", 2),
            step("split", 2),
            step("vip", 1, 1),
            step("gold", 1, 1),
            step("other", 0),
        ],
        branches=taken(1, 1, 0),
    )


@pytest.mark.parametrize(
    "params, path",
    [
        ({"from": "2026-05-02T00:00:00+09:00", "to": "2026-05-01T00:00:00+09:00"}, "to"),
        ({"from": "2026-05-01T00:00:00Z", "to": "2026-05-01T00:00:00Z"}, "to"),
        ({"from": "2026-05-01T00:00:00"}, "from"),  # no timezone: which day would it be?
        ({"to": "yesterday"}, "to"),
    ],
)
async def test_bad_stats_period_is_422(shared, params, path):
    created = await shared.api.post("/scenarios", json=scenario(text("hi", "Hi")))
    answer = await shared.api.get(f"/scenarios/{created.json()['id']}/stats", params=params)
    assert answer.status_code == 422, answer.text
    assert [p["path"] for p in answer.json()["detail"]] == [path]


async def test_enrollments_stopped_by_the_delivery_cap_count_as_ended(stack):
    scenario_id = await stack.scenario(
        scenario(text("welcome", "Welcome"), text("second", "Second"), delivery_cap=3)
    )
    first, second = user(84), user(85)
    for friend in (first, second):
        await stack.follow(friend)
        await stack.outcome(scenario_id, friend)
    assert (await stack.outcome(scenario_id, second)).status == "capped"
    answer = await stack.api.get(f"/scenarios/{scenario_id}/stats")
    assert answer.json() == stats_of(
        enrolled=2,
        completed=1,
        ended=1,
        messages_sent=3,
        replies=2,
        steps=[step("welcome", 2, 2, replies=2), step("second", 1, 1)],
        branches=[],
    )
