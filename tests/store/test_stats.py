"""Scenario stats with a goal (store/stats.py), from rows written by hand so that every moment is
known to the millisecond: which goal events count for which step, split arm and enrollment, on
SQLite and (when configured) PostgreSQL. And the significance test between arms, on its own."""

import csv
import io
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from scipy.stats import chi2

from scenarios.definition import ScenarioDefinition
from store import scenarios
from store.significance import arm_test
from store.stats import scenario_stats
from store.stats_csv import stats_csv
from store.stats_models import BranchStats
from store.tables import BranchDecision, Click, Delivery, Enrollment, Event, Scenario, StepEntry
from tests.support.stack import user

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY, MS = timedelta(days=1), timedelta(milliseconds=1)
STEPS = [
    {"id": "welcome", "type": "message", "messages": [{"type": "text", "text": "hi"}]},
    {"id": "pause", "type": "wait", "duration": "P1D"},
    {
        "id": "ab",
        "type": "split",
        "arms": [
            {
                "label": "A",
                "weight": 1,
                "steps": [
                    {"id": "offer", "type": "message", "messages": [{"type": "text", "text": "%"}]}
                ],
            },
            {"label": "B", "weight": 1, "steps": []},
        ],
    },
]


def definition(goal: dict | None) -> ScenarioDefinition:
    document: dict[str, Any] = {"name": "stats", "trigger": {"type": "follow"}, "steps": STEPS}
    if goal is not None:
        document["goal"] = goal
    return ScenarioDefinition.model_validate(document)


async def journeys(db, goal: dict | None) -> Scenario:
    """Six enrollments (see each one's comment) and their goal events."""
    async with db.session() as s:
        scenario = await scenarios.create_scenario(s, definition=definition(goal))
    sid = scenario.id
    rows: list[Any] = []

    def enrol(n: int, start: datetime, status: str, step: str) -> str:
        eid = f"enrollment:{sid}:{user(n)}:1"
        rows.append(
            Enrollment(
                id=eid,
                scenario_id=sid,
                version=1,
                user_id=user(n),
                epoch=1,
                status=status,
                current_step=step,
                started_at=start,
            )
        )
        return eid

    def entered(eid: str, step: str, at: datetime) -> None:
        rows.append(StepEntry(enrollment_id=eid, step_id=step, scenario_id=sid, entered_at=at))

    def delivered(eid: str, n: int, step: str, at: datetime, status: str = "sent") -> None:
        entered(eid, step, at)
        rows.append(
            Delivery(
                enrollment_id=eid,
                step_id=step,
                scenario_id=sid,
                user_id=user(n),
                retry_key=f"{eid}/{step}",
                status=status,
                sent_at=at if status == "sent" else None,
            )
        )

    def decided(eid: str, label: str, at: datetime) -> None:
        entered(eid, "ab", at)
        rows.append(
            BranchDecision(
                enrollment_id=eid, step_id="ab", scenario_id=sid, label=label, decided_at=at
            )
        )

    def bought(n: int, at: datetime, name: str = "purchase", **properties: Any) -> None:
        rows.append(Event(user_id=user(n), name=name, properties=properties, occurred_at=at))

    # e1: arm A; bought exactly 7 days after the split and the offer (the window's last
    # millisecond counts), 8 days after it began
    e1 = enrol(1, T0, "completed", "offer")
    delivered(e1, 1, "welcome", T0 + timedelta(seconds=1))
    entered(e1, "pause", T0 + timedelta(seconds=1))
    decided(e1, "A", T0 + DAY)
    delivered(e1, 1, "offer", T0 + DAY)
    bought(1, T0 + 8 * DAY)
    # e2: arm B; bought two hours in, before the split (the split's arm does not count it)
    e2 = enrol(2, T0, "completed", "ab")
    delivered(e2, 2, "welcome", T0)
    entered(e2, "pause", T0)
    decided(e2, "B", T0 + DAY)
    bought(2, T0 + timedelta(hours=2), sku="X", qty="2")
    # e3: its welcome failed; bought an hour in (the enrollment converts, the failed send not)
    e3 = enrol(3, T0, "failed", "welcome")
    delivered(e3, 3, "welcome", T0, status="failed")
    bought(3, T0 + timedelta(hours=1))
    # e4: blocked during the wait; bought a minute before it began; viewed a page after
    e4 = enrol(4, T0, "blocked", "pause")
    delivered(e4, 4, "welcome", T0)
    entered(e4, "pause", T0)
    bought(4, T0 - timedelta(minutes=1))
    bought(4, T0 + timedelta(hours=1), name="page_view")
    # e5: still waiting; bought one millisecond after the window closed
    e5 = enrol(5, T0, "waiting", "pause")
    delivered(e5, 5, "welcome", T0)
    entered(e5, "pause", T0)
    bought(5, T0 + 7 * DAY + MS)
    # e6: began in February, on a step only an older version has; bought an hour in
    early = T0 - 20 * DAY
    e6 = enrol(6, early, "completed", "legacy")
    delivered(e6, 6, "welcome", early)
    delivered(e6, 6, "legacy", early + timedelta(minutes=30))
    bought(6, early + timedelta(hours=1), sku="Y")
    # a purchase of someone never enrolled
    bought(9, T0 + timedelta(hours=1), sku="X", qty=2)
    # clicks on the welcome: e1 twice, e2 once
    for n, (eid, friend) in enumerate([(e1, 1), (e1, 1), (e2, 2)]):
        rows.append(
            Click(
                token=f"tok{n}",
                enrollment_id=eid,
                scenario_id=sid,
                step_id="welcome",
                user_id=user(friend),
            )
        )
    async with db.session() as s:
        s.add_all(rows)
        await s.commit()
    return scenario


def steps_of(stats) -> dict[str, tuple]:
    return {
        step.id: (
            step.type,
            step.entered,
            step.sent,
            step.failed,
            step.clicks,
            step.unique_clicks,
            step.conversions,
            step.blocked,
        )
        for step in stats.steps
    }


def arms_of(stats) -> list[tuple]:
    return [
        (b.step, b.type, b.label, b.taken, b.conversions, b.conversion_rate) for b in stats.branches
    ]


async def test_conversions_count_goal_events_within_the_window_after_each_moment(db):
    scenario = await journeys(db, {"event": "purchase", "within": "P7D"})
    async with db.reading() as s:
        stats = await scenario_stats(s, scenario=scenario, start=None, end=None)
    assert (stats.enrolled, stats.completed, stats.active, stats.blocked, stats.failed) == (
        6,
        3,
        1,
        1,
        1,
    )
    assert stats.messages_sent == 7
    assert stats.goal is not None and (stats.goal.event, stats.goal.within) == ("purchase", "P7D")
    # began: e2 (2 h), e3 (1 h), e6 (1 h); not e1 (8 days), e4 (before), e5 (7 days + 1 ms)
    assert (stats.converted, stats.conversion_rate) == (3, 0.5)
    assert steps_of(stats) == {
        #          type       entered sent failed clicks unique conversions blocked
        "welcome": ("message", 6, 5, 1, 3, 2, 2, 0),  # sent to e2 and e6 before they bought
        "pause": ("wait", 4, 0, 0, 0, 0, 1, 1),  # e2; e4 blocked here
        "ab": ("split", 2, 0, 0, 0, 0, 1, 0),  # e1, on the window's last millisecond
        "offer": ("message", 1, 1, 0, 0, 0, 1, 0),
        "legacy": (None, 1, 1, 0, 0, 0, 1, 0),  # an older version's message step
    }
    assert arms_of(stats) == [("ab", "split", "A", 1, 1, 1.0), ("ab", "split", "B", 1, 0, 0.0)]
    [test] = stats.tests
    # [[1, 0], [0, 1]]: every expected count is 1/2, chi-square = 4 × (1/2)² / (1/2) = 2
    assert (test.step, test.test, test.arms, test.dof) == ("ab", "chi-square", ["A", "B"], 1)
    assert test.statistic == pytest.approx(2.0)
    assert test.p_value == pytest.approx(math.erfc(1.0))  # P(χ²₁ ≥ 2) = P(|Z| ≥ √2)
    assert test.significant is False
    assert test.reason == "an expected count is below 5: the p-value is approximate"


async def test_goal_properties_are_matched_forgivingly(db):
    scenario = await journeys(
        db, {"event": "purchase", "within": "P7D", "properties": {"sku": "X", "qty": 2}}
    )
    async with db.reading() as s:
        stats = await scenario_stats(s, scenario=scenario, start=None, end=None)
    # only e2's purchase (qty "2" from a form equals 2); the never-enrolled friend's is not theirs
    assert (stats.converted, stats.conversion_rate) == (1, 1 / 6)
    assert {step.id: step.conversions for step in stats.steps} == {
        "welcome": 1,
        "pause": 1,
        "ab": 0,
        "offer": 0,
        "legacy": 0,
    }
    assert arms_of(stats) == [("ab", "split", "A", 1, 0, 0.0), ("ab", "split", "B", 1, 0, 0.0)]
    [test] = stats.tests
    assert (test.p_value, test.statistic, test.significant) == (None, None, None)
    assert test.reason == "no enrollment converted in any arm"


async def test_the_period_bounds_the_enrollments_counted(db):
    scenario = await journeys(db, {"event": "purchase"})  # `within` defaults to P7D
    async with db.reading() as s:
        march = await scenario_stats(s, scenario=scenario, start=T0, end=None)
        february = await scenario_stats(s, scenario=scenario, start=None, end=T0)
    assert (march.enrolled, march.converted, march.conversion_rate) == (5, 2, 0.4)
    assert {step.id: (step.sent, step.conversions) for step in march.steps} == {
        "welcome": (4, 1),
        "pause": (0, 1),
        "ab": (0, 1),
        "offer": (1, 1),
    }
    assert (february.enrolled, february.converted, february.conversion_rate) == (1, 1, 1.0)
    assert {step.id: step.conversions for step in february.steps} == {
        "welcome": 1,
        "pause": 0,
        "ab": 0,
        "offer": 0,
        "legacy": 1,
    }
    assert arms_of(february) == [
        ("ab", "split", "A", 0, 0, None),
        ("ab", "split", "B", 0, 0, None),
    ]
    assert february.tests[0].reason == "fewer than two arms were taken"
    assert february.tests[0].arms == []


async def test_without_a_goal_conversions_are_null_not_zero(db):
    scenario = await journeys(db, None)
    async with db.reading() as s:
        stats = await scenario_stats(s, scenario=scenario, start=None, end=None)
    assert (stats.goal, stats.converted, stats.conversion_rate, stats.tests) == (
        None,
        None,
        None,
        [],
    )
    assert {step.id: step.conversions for step in stats.steps} == dict.fromkeys(
        ("welcome", "pause", "ab", "offer", "legacy")
    )
    assert {(b.conversions, b.conversion_rate) for b in stats.branches} == {(None, None)}
    # everything else is counted as with a goal
    assert steps_of(stats)["welcome"] == ("message", 6, 5, 1, 3, 2, None, 0)
    assert steps_of(stats)["pause"] == ("wait", 4, 0, 0, 0, 0, None, 1)
    rows = list(csv.DictReader(io.StringIO(stats_csv(stats))))
    assert [row["conversions"] for row in rows] == [""] * 7  # five steps, two arms
    assert rows[0] == {
        "kind": "step",
        "step": "welcome",
        "type": "message",
        "label": "",
        "entered": "6",
        "sent": "5",
        "failed": "1",
        "clicks": "3",
        "unique_clicks": "2",
        "conversions": "",
        "blocked": "0",
        "taken": "",
        "conversion_rate": "",
        "p_value": "",
        "replies": "0",
        "counted": "5",  # the pushes sent
        "cost_yen": "",  # no price in the channel policy
        "saved_yen": "",
    }


def arms(*counts: tuple[str, int, int]) -> list[BranchStats]:
    return [
        BranchStats(step="s", label=label, taken=taken, conversions=converted)
        for label, taken, converted in counts
    ]


def chi_square(table: list[list[int]]) -> float:
    """Pearson's statistic by hand: Σ (observed − expected)² / expected."""
    rows = [sum(row) for row in table]
    columns = [sum(column) for column in zip(*table, strict=True)]
    total = sum(rows)
    return sum(
        (table[i][j] - rows[i] * columns[j] / total) ** 2 / (rows[i] * columns[j] / total)
        for i in range(len(rows))
        for j in range(len(columns))
    )


def test_three_arms_are_compared_at_once_and_an_untaken_arm_is_left_out():
    result = arm_test("s", arms(("A", 200, 40), ("B", 200, 70), ("C", 100, 20), ("D", 0, 0)))
    statistic = chi_square([[40, 160], [70, 130], [20, 80]])
    assert result.arms == ["A", "B", "C"]
    assert (result.dof, result.reason) == (2, None)
    assert result.statistic == pytest.approx(statistic)
    assert result.p_value == pytest.approx(chi2.sf(statistic, 2))
    assert result.p_value < 0.05 and result.significant is True


def test_two_arms_is_the_two_proportion_z_test():
    result = arm_test("s", arms(("A", 120, 30), ("B", 110, 22)))
    pooled = 52 / 230
    z = (30 / 120 - 22 / 110) / math.sqrt(pooled * (1 - pooled) * (1 / 120 + 1 / 110))
    assert result.p_value == pytest.approx(math.erfc(abs(z) / math.sqrt(2)))
    assert result.statistic == pytest.approx(z * z)
    assert result.significant is False


@pytest.mark.parametrize(
    "counts, reason",
    [
        ([("A", 10, 3)], "fewer than two arms were taken"),
        ([("A", 10, 3), ("B", 0, 0)], "fewer than two arms were taken"),
        ([("A", 10, 0), ("B", 5, 0)], "no enrollment converted in any arm"),
        ([("A", 10, 10), ("B", 5, 5)], "every enrollment converted"),
    ],
)
def test_a_table_that_cannot_be_tested_gives_no_p_value_and_says_why(counts, reason):
    result = arm_test("s", arms(*counts))
    assert (result.statistic, result.p_value, result.significant, result.reason) == (
        None,
        None,
        None,
        reason,
    )
