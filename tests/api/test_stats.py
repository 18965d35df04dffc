"""GET /scenarios/{id}/stats with a goal, through the whole stack: friends follow, click tracked
links, buy (POST /events) inside and outside the goal's window, one blocks mid-way; the numbers
per step, branch and split arm, the test between arms, the CSV, the period, the 422s."""

import csv
import io
import math
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from scenarios.split import choose_arm
from store.tables import Enrollment, StepEntry
from tests.api.helpers import enrollment_at, scenario, text, wait
from tests.support.stack import user

DAY = 86400
SALE = "https://shop.example/sale"
GOAL = {"event": "purchase", "within": "P7D"}
OFF = "-10% off"  # a label a spreadsheet would read as a formula


def definition() -> dict:
    return scenario(
        text("welcome", f"Welcome! {SALE}"),
        {
            "id": "ab",
            "type": "split",
            "arms": [
                {"label": OFF, "weight": 1, "steps": [text("a", "A")]},
                {"label": "B", "weight": 1, "steps": [text("b", "B")]},
            ],
        },
        {
            "id": "seg",
            "type": "branch",
            "branches": [
                {
                    "label": "slow",
                    "when": {"attribute": "plan", "equals": "slow"},
                    "steps": [wait("hold", "P1D"), text("late", "Late")],
                }
            ],
            "otherwise": [text("bye", "Bye")],
        },
        goal=GOAL,
    )


@dataclass
class Journey:
    scenario_id: str
    stack: object


def friends_in(scenario_id: str, arm: int, count: int, start: int) -> list[str]:
    """`count` user ids the split `ab` puts in `arm` (it hashes scenario, step and friend)."""
    found = []
    n = start
    while len(found) < count:
        if choose_arm([1, 1], scenario_id=scenario_id, step_id="ab", user_id=user(n)) == arm:
            found.append(user(n))
        n += 1
    return found


async def link_of(stack, friend: str) -> str:
    """The path of the tracked link in the friend's welcome."""
    first = (await stack.received(friend))[0]["messages"][0]["text"]
    return "/r/" + re.findall(r"/r/([A-Za-z0-9_\-]+)", first)[0]


async def buy(stack, friend: str, name: str = "purchase", at: datetime | None = None) -> None:
    body = {"user_id": friend, "name": name}
    if at is not None:
        body["occurred_at"] = at.isoformat()
    answer = await stack.api.post("/events", json=body)
    assert answer.status_code == 201, answer.text


@pytest.fixture(scope="module")
async def journey(shared) -> Journey:
    """Arm `-10% off`: a1 and a2 buy, a3 does not, s (plan `slow`) blocks at the wait `hold`.
    Arm B: b1 buys; b2 bought before it began (and viewed a page since); b3 does not; o was
    added ten days ago and bought an hour after (the enrollment converts, no step after it).
    a1 clicks the welcome's link twice, b1 once."""
    stack = shared
    scenario_id = await stack.scenario(definition())
    a1, a2, a3, s = friends_in(scenario_id, 0, 4, start=0x700)
    b1, b2, b3, o = friends_in(scenario_id, 1, 4, start=0x700)
    await stack.api.put(f"/friends/{s}/attributes", json={"plan": "slow"})

    real_clock = stack.emulator.clock
    stack.emulator.clock = lambda: time.time() - 10 * DAY
    try:
        await stack.follow(o)
    finally:
        stack.emulator.clock = real_clock
    for friend in (a1, a2, a3, s, b1, b2, b3):
        await stack.follow(friend)
    await enrollment_at(stack, scenario_id, s, "hold")
    await stack.unfollow(s)  # before anything could skip time past its wait
    assert (await stack.outcome(scenario_id, s)).status == "blocked"
    for friend in (a1, a2, a3, b1, b2, b3, o):
        assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(a1, untracked=True) == [f"Welcome! {SALE}", "A", "Bye"]
    assert await stack.texts(b1, untracked=True) == [f"Welcome! {SALE}", "B", "Bye"]

    for friend, times in ((a1, 2), (b1, 1)):
        path = await link_of(stack, friend)
        for _ in range(times):
            assert (await stack.api.get(path)).status_code == 302

    async with stack.db.reading() as session:
        started = {
            row.user_id: row.started_at
            for row in await session.exec(
                select(Enrollment).where(Enrollment.scenario_id == scenario_id)
            )
        }
        entries = await session.exec(
            select(func.max(StepEntry.entered_at)).where(StepEntry.scenario_id == scenario_id)
        )
        last_entry = entries.one()
    assert started[o] < datetime.now(UTC) - timedelta(days=9)
    # purchases "now" come after every step (the test server's clock has not skipped ahead)
    assert last_entry is not None and last_entry <= datetime.now(UTC)
    for friend in (a1, a2, b1):
        await buy(stack, friend)
    await buy(stack, b2, at=started[b2] - timedelta(hours=1))
    await buy(stack, b2, name="page_view")
    await buy(stack, o, at=started[o] + timedelta(hours=1))
    return Journey(scenario_id, stack)


def two_proportions(x1: int, n1: int, x2: int, n2: int) -> float:
    """The two-sided p-value of the two-proportion z-test, by hand."""
    pooled = (x1 + x2) / (n1 + n2)
    z = (x1 / n1 - x2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return math.erfc(abs(z) / math.sqrt(2))


def step(
    step_id, kind, entered, sent=0, *, clicks=0, unique=0, conversions=0, blocked=0, replies=0
):
    return {
        "id": step_id,
        "type": kind,
        "entered": entered,
        "sent": sent,
        "failed": 0,
        "clicks": clicks,
        "unique_clicks": unique,
        "conversions": conversions,
        "blocked": blocked,
        "skipped": 0,
        "replies": replies,  # free: the rest of `sent` is counted
        "counted": sent - replies,
        "cost_yen": None,  # no price in the channel policy
        "saved_yen": None,
    }


def arm(step_id, kind, label, taken, conversions):
    return {
        "step": step_id,
        "type": kind,
        "label": label,
        "taken": taken,
        "conversions": conversions,
        "conversion_rate": conversions / taken if taken else None,
    }


SMALL = "an expected count is below 5: the p-value is approximate"


async def test_stats_count_conversions_clicks_and_blocks_per_step_and_arm(journey):
    answer = await journey.stack.api.get(f"/scenarios/{journey.scenario_id}/stats")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    stats = answer.json()
    tests = stats.pop("tests")
    assert stats.pop("surveys") == []  # no survey step
    assert stats.pop("holdouts") == []  # no holdout arm
    assert stats == {
        "enrolled": 8,
        "completed": 7,
        "active": 0,
        "blocked": 1,
        "exited": 0,
        "ended": 0,
        "failed": 0,
        "messages_sent": 8 + 8 + 7,  # welcome, a or b, bye
        "replies": 7,  # the welcomes, but o's: its follow is ten days old
        "counted": 1 + 8 + 7,
        "message_price_yen": None,
        "cost_yen": None,
        "saved_yen": None,
        "goal": {"event": "purchase", "within": "P7D", "properties": None},
        "converted": 4,  # a1, a2, b1 and o
        "conversion_rate": 0.5,
        "steps": [
            step("welcome", "message", 8, 8, clicks=3, unique=2, conversions=3, replies=7),
            step("ab", "split", 8, conversions=3),
            step("a", "message", 4, 4, conversions=2),
            step("b", "message", 4, 4, conversions=1),  # not o: it bought before its send
            step("seg", "branch", 8, conversions=3),
            step("hold", "wait", 1, blocked=1),
            step("late", "message", 0),
            step("bye", "message", 7, 7, conversions=3),
        ],
        "branches": [
            arm("ab", "split", OFF, 4, 2),
            arm("ab", "split", "B", 4, 1),
            arm("seg", "branch", "slow", 1, 0),
            arm("seg", "branch", "otherwise", 7, 3),
        ],
    }
    split, branch = tests
    assert {k: split[k] for k in ("step", "test", "arms", "dof", "significant", "reason")} == {
        "step": "ab",
        "test": "chi-square",
        "arms": [OFF, "B"],
        "dof": 1,
        "significant": False,
        "reason": SMALL,
    }
    assert split["p_value"] == pytest.approx(two_proportions(2, 4, 1, 4))
    assert branch["step"] == "seg" and branch["arms"] == ["slow", "otherwise"]
    assert branch["p_value"] == pytest.approx(two_proportions(0, 1, 3, 7))
    assert (branch["significant"], branch["reason"]) == (False, SMALL)


async def test_the_period_counts_the_enrollments_started_in_it(journey):
    url = f"/scenarios/{journey.scenario_id}/stats"
    cut = (datetime.now(UTC) - timedelta(days=5)).isoformat()
    recent = (await journey.stack.api.get(url, params={"from": cut})).json()
    assert (recent["enrolled"], recent["converted"], recent["conversion_rate"]) == (7, 3, 3 / 7)
    assert {s["id"]: (s["entered"], s["conversions"]) for s in recent["steps"]}["b"] == (3, 1)
    assert recent["branches"][1] == arm("ab", "split", "B", 3, 1)

    older = (await journey.stack.api.get(url, params={"to": cut})).json()
    assert (older["enrolled"], older["converted"], older["conversion_rate"]) == (1, 1, 1.0)
    assert {s["id"]: s["conversions"] for s in older["steps"]} == {
        "welcome": 0,  # o bought ten days ago, an hour after it was added: before any step
        "ab": 0,
        "a": 0,
        "b": 0,
        "seg": 0,
        "hold": 0,
        "late": 0,
        "bye": 0,
    }
    assert [(t["step"], t["p_value"], t["reason"]) for t in older["tests"]] == [
        ("ab", None, "fewer than two arms were taken"),
        ("seg", None, "fewer than two arms were taken"),
    ]


def rows_of(answer) -> list[list[str]]:
    assert answer.text.startswith("\ufeff")  # Excel reads it as UTF-8 then
    return list(csv.reader(io.StringIO(answer.text.removeprefix("\ufeff"))))


async def test_stats_download_as_csv(journey):
    url = f"/scenarios/{journey.scenario_id}/stats"
    answer = await journey.stack.api.get(url, params={"format": "csv"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="stats-{journey.scenario_id}.csv"'
    )
    tests = {t["step"]: t["p_value"] for t in (await journey.stack.api.get(url)).json()["tests"]}
    header, *rows = rows_of(answer)
    assert header == [
        "kind",
        "step",
        "type",
        "label",
        "entered",
        "sent",
        "failed",
        "clicks",
        "unique_clicks",
        "conversions",
        "blocked",
        "taken",
        "conversion_rate",
        "p_value",
        "replies",
        "counted",
        "cost_yen",
        "saved_yen",
    ]
    steps = [row for row in rows if row[0] == "step"]
    assert steps == [
        ["step", "welcome", "message", "", "8", "8", "0", "3", "2", "3", "0", "", "", "", "7", "1", "", ""],
        ["step", "ab", "split", "", "8", "0", "0", "0", "0", "3", "0", "", "", "", "0", "0", "", ""],
        ["step", "a", "message", "", "4", "4", "0", "0", "0", "2", "0", "", "", "", "0", "4", "", ""],
        ["step", "b", "message", "", "4", "4", "0", "0", "0", "1", "0", "", "", "", "0", "4", "", ""],
        ["step", "seg", "branch", "", "8", "0", "0", "0", "0", "3", "0", "", "", "", "0", "0", "", ""],
        ["step", "hold", "wait", "", "1", "0", "0", "0", "0", "0", "1", "", "", "", "0", "0", "", ""],
        ["step", "late", "message", "", "0", "0", "0", "0", "0", "0", "0", "", "", "", "0", "0", "", ""],
        ["step", "bye", "message", "", "7", "7", "0", "0", "0", "3", "0", "", "", "", "0", "7", "", ""],
    ]  # fmt: skip
    ab, seg = str(tests["ab"]), str(tests["seg"])
    blank = [""] * 5  # entered, sent, failed, clicks, unique_clicks
    costs = [""] * 4  # replies, counted, cost_yen, saved_yen
    assert rows[len(steps) :] == [
        ["branch", "ab", "split", "'" + OFF, *blank, "2", "", "4", "0.5", ab, *costs],
        ["branch", "ab", "split", "B", *blank, "1", "", "4", "0.25", ab, *costs],
        ["branch", "seg", "branch", "slow", *blank, "0", "", "1", "0.0", seg, *costs],
        ["branch", "seg", "branch", "otherwise", *blank, "3", "", "7", str(3 / 7), seg, *costs],
    ]

    # asked for by the Accept header; `format` wins over it; JSON preferred stays JSON
    by_header = await journey.stack.api.get(url, headers={"Accept": "text/csv"})
    assert by_header.headers["content-type"] == "text/csv; charset=utf-8"
    assert rows_of(by_header) == [header, *rows]
    assert by_header.headers["vary"] == "Accept"
    for params, accept in [
        ({"format": "json"}, "text/csv"),
        ({}, "application/json, text/csv;q=0.5"),
        ({}, "text/html,*/*;q=0.8"),
    ]:
        answer = await journey.stack.api.get(url, params=params, headers={"Accept": accept})
        assert answer.headers["content-type"] == "application/json", (params, accept)
        assert answer.json()["converted"] == 4

    period = await journey.stack.api.get(
        url, params={"format": "csv", "to": (datetime.now(UTC) - timedelta(days=5)).isoformat()}
    )
    assert rows_of(period)[1] == [
        "step", "welcome", "message", "", "1", "1", "0", "0", "0", "0", "0", "", "", "", "0", "1",
        "", "",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "params, path",
    [
        ({"format": "xml"}, "format"),
        ({"format": ""}, "format"),
        ({"format": "csv", "from": "2026-05-02T00:00:00Z", "to": "2026-05-01T00:00:00Z"}, "to"),
        ({"format": "csv", "from": "tomorrow"}, "from"),
    ],
)
async def test_bad_stats_query_is_422_naming_the_parameter(shared, params, path):
    created = await shared.api.post("/scenarios", json=scenario(text("hi", "Hi"), goal=GOAL))
    assert created.status_code == 201, created.text
    answer = await shared.api.get(f"/scenarios/{created.json()['id']}/stats", params=params)
    assert answer.status_code == 422, answer.text
    assert [p["path"] for p in answer.json()["detail"]] == [path]


async def test_stats_of_an_unknown_scenario_is_404_in_csv_too(shared):
    answer = await shared.api.get("/scenarios/scn_nope/stats", params={"format": "csv"})
    assert answer.status_code == 404


@pytest.mark.parametrize(
    "goal, path",
    [
        ({"event": "purchase", "within": "P366D"}, "goal.within"),
        ({"event": "purchase", "within": "PT0S"}, "goal.within"),
        ({"event": "purchase", "within": "P1M"}, "goal.within"),  # months have no fixed length
        ({"within": "P1D"}, "goal.event"),
        ({"event": ""}, "goal.event"),
        ({"event": "x" * 101}, "goal.event"),
        ({"event": "purchase", "properties": {"sku": ["A", "B"]}}, "goal.properties.sku"),
        ({"event": "purchase", "price": 100}, "goal.price"),
        ("purchase", "goal"),
    ],
)
async def test_a_bad_goal_is_422_naming_its_field(shared, goal, path):
    answer = await shared.api.post("/scenarios", json=scenario(text("hi", "Hi"), goal=goal))
    assert answer.status_code == 422, answer.text
    assert {p["path"] for p in answer.json()["detail"]} == {path}


async def test_a_goal_is_stored_with_its_default_window(shared):
    created = await shared.api.post(
        "/scenarios",
        json=scenario(text("hi", "Hi"), goal={"event": "purchase", "properties": {"sku": "A-100"}}),
    )
    assert created.status_code == 201, created.text
    stored = (await shared.api.get(f"/scenarios/{created.json()['id']}")).json()["definition"]
    assert stored["goal"] == {"event": "purchase", "within": "P7D", "properties": {"sku": "A-100"}}
    stats = (await shared.api.get(f"/scenarios/{created.json()['id']}/stats")).json()
    assert (stats["enrolled"], stats["converted"], stats["conversion_rate"]) == (0, 0, None)
    assert stats["steps"][0]["conversions"] == 0  # a goal, nobody yet: 0, not null
