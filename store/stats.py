"""Scenario stats (docs/CONTRACT.md §7), counted over the enrollments started in a period: per status, per
step, per branch and split arm, and — when the scenario has a `goal` — conversions, with a
significance test between the arms of each branch and split; what the counted messages cost, and
a split's holdout against its other arms (store/costs.py)."""

from collections import defaultdict
from datetime import datetime

from sqlalchemy import distinct, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.statuses import LIVE, DeliveryStatus, DeliveryVia
from domain.steps import Step, SurveyStep, walk_steps
from domain.steps.branch import OTHERWISE
from store.conversions import Conversions, goal_reached
from store.costs import holdouts, yen
from store.enrollment_ids import counted
from store.policy import get_policy
from store.scenarios import get_definition
from store.significance import arm_tests
from store.stats_models import BranchStats, ScenarioStats, StepStats, SurveyStats
from store.surveys import distribution
from store.tables import BranchDecision, Click, Delivery, Enrollment, Scenario, StepEntry


async def scenario_stats(
    session: AsyncSession, *, scenario: Scenario, start: datetime | None, end: datetime | None
) -> ScenarioStats:
    in_period = select(Enrollment.id).where(
        Enrollment.scenario_id == scenario.id,
        counted(Enrollment.id),  # never a test send's
    )
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
    sent: dict[tuple[str, str], int] = defaultdict(int)
    replies: dict[str, int] = defaultdict(int)  # sent as free replies, by step
    pushed: dict[str, int] = defaultdict(int)  # sent as pushes (counted by LINE), by step
    for step, state, via, count in await session.exec(
        select(Delivery.step_id, Delivery.status, Delivery.via, func.count())
        .where(col(Delivery.enrollment_id).in_(ids))
        .group_by(Delivery.step_id, Delivery.status, Delivery.via)
    ):
        sent[(step, state)] += count
        if state == DeliveryStatus.SENT:
            (replies if via == DeliveryVia.REPLY else pushed)[step] += count
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
    messages |= {step for step, _ in list(sent) if step not in kinds}

    def converted_at(step_id: str) -> int | None:
        if definition.goal is None:
            return None
        counts = reached.sent if step_id in messages else reached.entered
        return counts.get(step_id, 0)

    branches = [
        _branch_stats(step, label, taken, reached, has_goal=definition.goal is not None)
        for _, step in walk_steps(definition.steps)
        for label, _, _ in step.ways()  # branches, split arms, a wait_for's two ways out
    ]
    enrolled = sum(by_status.values())
    price = (await get_policy(session)).message_price_yen
    pushes, saved = sum(pushed.values()), sum(replies.values())
    return ScenarioStats(
        enrolled=enrolled,
        completed=by_status.get("completed", 0),
        active=sum(by_status.get(s, 0) for s in LIVE),
        blocked=by_status.get("blocked", 0),
        exited=by_status.get("exited", 0),
        ended=by_status.get("ended", 0) + by_status.get("capped", 0),
        failed=by_status.get("failed", 0),
        messages_sent=sum(
            count for (_, state), count in sent.items() if state == DeliveryStatus.SENT
        ),
        replies=saved,
        counted=pushes,
        message_price_yen=price,
        cost_yen=yen(pushes, price),
        saved_yen=yen(saved, price),
        steps=[
            StepStats(
                id=step_id,
                type=kinds.get(step_id),
                entered=entered.get(step_id, 0),
                sent=sent.get((step_id, DeliveryStatus.SENT), 0),
                replies=replies.get(step_id, 0),
                failed=sent.get((step_id, DeliveryStatus.FAILED), 0),
                skipped=sent.get((step_id, DeliveryStatus.SKIPPED), 0),
                clicks=clicks.get(step_id, (0, 0))[0],
                unique_clicks=clicks.get(step_id, (0, 0))[1],
                conversions=converted_at(step_id),
                blocked=blocked_at.get(step_id, 0),
                counted=pushed.get(step_id, 0),
                cost_yen=yen(pushed.get(step_id, 0), price),
                saved_yen=yen(replies.get(step_id, 0), price),
            )
            for step_id in step_ids
        ],
        branches=branches,
        goal=definition.goal,
        converted=reached.started if definition.goal else None,
        conversion_rate=_rate(reached.started, enrolled) if definition.goal else None,
        tests=arm_tests(definition, branches) if definition.goal else [],
        surveys=[
            SurveyStats(step=step.id, **answers.get(step.id, {}))
            for _, step in walk_steps(definition.steps)
            if isinstance(step, SurveyStep)
        ],
        holdouts=holdouts(definition, branches, pushed, price),
    )


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
