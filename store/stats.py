"""Scenario stats (docs/CONTRACT.md §7), counted over the enrollments started in a period: per status, per
step, per branch and split arm, and — when the scenario has a `goal` — conversions, with a
significance test between the arms of each branch and split."""

import csv
import io
import math
from collections import defaultdict
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import distinct, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from scenarios.definition import (
    BranchStep,
    Goal,
    ScenarioDefinition,
    SplitStep,
    Step,
    SurveyStep,
    WaitForStep,
    walk_steps,
)
from scenarios.runs import LIVE
from store.conversions import Conversions, goal_reached
from store.scenarios import get_definition
from store.surveys import distribution
from store.tables import BranchDecision, Click, Delivery, Enrollment, Scenario, StepEntry

SIGNIFICANCE = 0.05  # a p-value below it: the arms' conversion rates differ beyond chance
OTHERWISE = "otherwise"  # a branch step's label when no branch held (stored as NULL)
_STATS = ConfigDict(use_attribute_docstrings=True)


class StepStats(BaseModel):
    model_config = _STATS
    id: str
    entered: int = 0
    sent: int = 0
    failed: int = 0
    clicks: int = 0
    type: str | None = None
    """The step's type in the scenario's current version; null for a step only an older
    version has."""
    unique_clicks: int = 0
    """Enrollments that clicked a tracked link of this step at least once."""
    conversions: int | None = None
    """Enrollments that reached this step (a message step: whose message was sent) and had a
    goal event within the goal's `within` after that moment; null when there is no goal."""
    blocked: int = 0
    """Enrollments that ended `blocked` while at this step (the friend blocked the account)."""
    skipped: int = 0
    """Messages of this step not pushed for good, the enrollment going on (a coupon closed or
    past its end: the delivery's reason says which)."""


class BranchStats(BaseModel):
    model_config = _STATS
    step: str
    label: str
    taken: int = 0
    type: str | None = None
    """The step's type: `branch`, `split` or `wait_for`."""
    conversions: int | None = None
    """Enrollments that took this way and had a goal event within the goal's `within` after
    the decision; null when there is no goal."""
    conversion_rate: float | None = None
    """conversions / taken; null when there is no goal or nobody took this way."""


class ArmTest(BaseModel):
    """Whether the conversion rates of a branch or split step's arms differ beyond chance: a
    chi-square test of independence on the arms × (converted, not converted) table, without
    continuity correction (for two arms, the two-proportion z-test)."""

    model_config = _STATS
    step: str
    """The branch or split step."""
    test: Literal["chi-square"] = "chi-square"
    """The test made."""
    arms: list[str]
    """The labels compared: the ways at least one enrollment took."""
    statistic: float | None = None
    """The chi-square statistic; null when no test could be made."""
    dof: int | None = None
    """Degrees of freedom: compared arms − 1."""
    p_value: float | None = None
    """The chance of rates at least this far apart if the arms converted alike; null when no
    test could be made (see `reason`)."""
    significant: bool | None = None
    """p_value < 0.05; null without a p_value."""
    reason: str | None = None
    """Why there is no p_value, or a caution about it (small expected counts)."""


class SurveyStats(BaseModel):
    model_config = _STATS
    step: str
    """The survey step."""
    asked: int = 0
    """Enrollments the question was sent to."""
    answered: int = 0
    """Enrollments whose friend answered it in time."""
    answers: dict[str, int] = {}
    """How many gave each answer: an option's value (text as it is, others as JSON), or
    the text a friend wrote to a question without options."""


class ScenarioStats(BaseModel):
    model_config = _STATS
    enrolled: int  # LINE's "users targeted in the period"
    completed: int  # LINE's "users who received every message" on their path
    active: int
    blocked: int
    exited: int
    ended: int  # ended by the scenario: `end`, or its delivery cap (status `capped`)
    failed: int
    messages_sent: int
    steps: list[StepStats]
    branches: list[BranchStats]
    goal: Goal | None = None
    """The goal of the scenario's current version; null: no goal set, and every conversion
    figure is null."""
    converted: int | None = None
    """Enrollments with a goal event within the goal's `within` after the enrollment began."""
    conversion_rate: float | None = None
    """converted / enrolled; null when there is no goal or nobody enrolled."""
    tests: list[ArmTest] = []
    """A significance test between the arms of each branch and split step (with a goal)."""
    surveys: list[SurveyStats] = []
    """Per survey step of the current version: questions asked, answered, and the count of
    each answer."""


async def scenario_stats(
    session: AsyncSession, *, scenario: Scenario, start: datetime | None, end: datetime | None
) -> ScenarioStats:
    in_period = select(Enrollment.id).where(Enrollment.scenario_id == scenario.id)
    if start:
        in_period = in_period.where(Enrollment.started_at >= start)
    if end:
        in_period = in_period.where(Enrollment.started_at < end)
    ids = in_period.scalar_subquery()

    # (status, current step): the statuses, and where the blocked ones stopped
    by_status: dict[str, int] = defaultdict(int)
    blocked_at: dict[str | None, int] = {}
    for state, step, count in await session.exec(
        select(Enrollment.status, Enrollment.current_step, func.count())
        .where(col(Enrollment.id).in_(ids))
        .group_by(Enrollment.status, Enrollment.current_step)
    ):
        by_status[state] += count
        if state == "blocked":
            blocked_at[step] = count
    entered = dict(
        (
            await session.exec(
                select(StepEntry.step_id, func.count())
                .where(col(StepEntry.enrollment_id).in_(ids))
                .group_by(StepEntry.step_id)
            )
        ).all()
    )
    sent: dict[tuple[str, str], int] = {
        (step, state): count
        for step, state, count in await session.exec(
            select(Delivery.step_id, Delivery.status, func.count())
            .where(col(Delivery.enrollment_id).in_(ids))
            .group_by(Delivery.step_id, Delivery.status)
        )
    }
    taken: dict[tuple[str, str | None], int] = {
        (step, label): count
        for step, label, count in await session.exec(
            select(BranchDecision.step_id, BranchDecision.label, func.count())
            .where(col(BranchDecision.enrollment_id).in_(ids))
            .group_by(BranchDecision.step_id, BranchDecision.label)
        )
    }
    clicks: dict[str, tuple[int, int]] = {
        step: (total, unique)
        for step, total, unique in await session.exec(
            select(Click.step_id, func.count(), func.count(distinct(Click.enrollment_id)))
            .where(col(Click.enrollment_id).in_(ids))
            .group_by(Click.step_id)
        )
    }

    definition = await get_definition(session, scenario_id=scenario.id, version=scenario.version)
    reached = (
        await goal_reached(session, definition.goal, ids) if definition.goal else Conversions()
    )
    answers = await distribution(session, ids)
    kinds = {step.id: step.type for _, step in walk_steps(definition.steps)}
    step_ids = list(kinds)
    step_ids += sorted({s for s in entered if s not in kinds})  # steps of older versions
    # a message step's conversions count from its send: steps of this version that are
    # messages, and older ones that had deliveries
    messages = {s for s, kind in kinds.items() if kind == "message"}
    messages |= {step for step, _ in sent if step not in kinds}

    def converted_at(step_id: str) -> int | None:
        if definition.goal is None:
            return None
        counts = reached.sent if step_id in messages else reached.entered
        return counts.get(step_id, 0)

    branches = [
        _branch_stats(step, label, taken, reached, has_goal=definition.goal is not None)
        for _, step in walk_steps(definition.steps)
        for label in _ways(step)
    ]
    enrolled = sum(by_status.values())
    return ScenarioStats(
        enrolled=enrolled,
        completed=by_status.get("completed", 0),
        active=sum(by_status.get(s, 0) for s in LIVE),
        blocked=by_status.get("blocked", 0),
        exited=by_status.get("exited", 0),
        ended=by_status.get("ended", 0) + by_status.get("capped", 0),
        failed=by_status.get("failed", 0),
        messages_sent=sum(count for (_, state), count in sent.items() if state == "sent"),
        steps=[
            StepStats(
                id=step_id,
                type=kinds.get(step_id),
                entered=entered.get(step_id, 0),
                sent=sent.get((step_id, "sent"), 0),
                failed=sent.get((step_id, "failed"), 0),
                skipped=sent.get((step_id, "skipped"), 0),
                clicks=clicks.get(step_id, (0, 0))[0],
                unique_clicks=clicks.get(step_id, (0, 0))[1],
                conversions=converted_at(step_id),
                blocked=blocked_at.get(step_id, 0),
            )
            for step_id in step_ids
        ],
        branches=branches,
        goal=definition.goal,
        converted=reached.started if definition.goal else None,
        conversion_rate=_rate(reached.started, enrolled) if definition.goal else None,
        tests=_tests(definition, branches) if definition.goal else [],
        surveys=[
            SurveyStats(step=step.id, **answers.get(step.id, {}))
            for _, step in walk_steps(definition.steps)
            if isinstance(step, SurveyStep)
        ],
    )


def _ways(step: Step) -> list[str]:
    """The labels a step can take: branches, split arms, a wait_for's two ways out."""
    if isinstance(step, BranchStep):
        return [branch.label for branch in step.branches] + [OTHERWISE]
    if isinstance(step, SplitStep):
        return [arm.label for arm in step.arms]
    if isinstance(step, WaitForStep | SurveyStep):
        return ["then", "on_timeout"]
    return []


def _branch_stats(
    step: Step,
    label: str,
    taken: dict[tuple[str, str | None], int],
    conversions: Conversions,
    *,
    has_goal: bool,
) -> BranchStats:
    key = (step.id, None if label == OTHERWISE else label)
    count = taken.get(key, 0)
    converted = conversions.decided.get(key, 0) if has_goal else None
    return BranchStats(
        step=step.id,
        label=label,
        type=step.type,
        taken=count,
        conversions=converted,
        conversion_rate=None if converted is None else _rate(converted, count),
    )


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# --- significance -------------------------------------------------------------------------


def _tests(definition: ScenarioDefinition, branches: list[BranchStats]) -> list[ArmTest]:
    tested = [
        step.id
        for _, step in walk_steps(definition.steps)
        if isinstance(step, BranchStep | SplitStep)
    ]
    return [arm_test(step, [b for b in branches if b.step == step]) for step in tested]


def arm_test(step: str, arms: list[BranchStats]) -> ArmTest:
    """The chi-square test between the arms of `step` that were taken (see ArmTest)."""
    compared = [arm for arm in arms if arm.taken > 0]
    labels = [arm.label for arm in compared]
    if len(compared) < 2:
        return ArmTest(step=step, arms=labels, reason="fewer than two arms were taken")
    converted = [arm.conversions or 0 for arm in compared]
    total = sum(arm.taken for arm in compared)
    if sum(converted) == 0:
        return ArmTest(step=step, arms=labels, reason="no enrollment converted in any arm")
    if sum(converted) == total:
        return ArmTest(step=step, arms=labels, reason="every enrollment converted")
    # scipy.stats takes most of a second to import: only a stats request with a goal needs it
    from scipy.stats import chi2_contingency

    table = [[done, arm.taken - done] for arm, done in zip(compared, converted, strict=True)]
    try:
        result = chi2_contingency(table, correction=False)
    except ValueError as exc:  # a table it cannot test (guarded above; never a 500)
        return ArmTest(step=step, arms=labels, reason=f"no test: {exc}")
    statistic, p_value = float(result.statistic), float(result.pvalue)
    if not (math.isfinite(statistic) and math.isfinite(p_value)):
        return ArmTest(step=step, arms=labels, reason="no test: the statistic is not finite")
    small = float(result.expected_freq.min()) < 5
    return ArmTest(
        step=step,
        arms=labels,
        statistic=statistic,
        dof=int(result.dof),
        p_value=p_value,
        significant=p_value < SIGNIFICANCE,
        reason="an expected count is below 5: the p-value is approximate" if small else None,
    )


# --- CSV ----------------------------------------------------------------------------------

CSV_COLUMNS = [
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
]
_FORMULA = ("=", "+", "-", "@", "\t", "\r")  # a cell a spreadsheet would run as a formula


def stats_csv(stats: ScenarioStats) -> str:
    """One row per step (`kind` step), then one per branch, split arm and wait_for way (`kind`
    branch, with the p-value of its step's test); an empty cell is a null."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for step in stats.steps:
        writer.writerow(
            _cells(
                kind="step",
                step=step.id,
                type=step.type,
                entered=step.entered,
                sent=step.sent,
                failed=step.failed,
                clicks=step.clicks,
                unique_clicks=step.unique_clicks,
                conversions=step.conversions,
                blocked=step.blocked,
            )
        )
    p_values = {test.step: test.p_value for test in stats.tests}
    for branch in stats.branches:
        writer.writerow(
            _cells(
                kind="branch",
                step=branch.step,
                type=branch.type,
                label=branch.label,
                taken=branch.taken,
                conversions=branch.conversions,
                conversion_rate=branch.conversion_rate,
                p_value=p_values.get(branch.step),
            )
        )
    return out.getvalue()


def _cells(**values: Any) -> dict[str, str]:
    cells = {}
    for name, value in values.items():
        text = "" if value is None else str(value)
        cells[name] = "'" + text if text.startswith(_FORMULA) else text
    return cells
