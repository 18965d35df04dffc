"""The pushes the enrollments waiting now will make, day by day (LINE's quota days: Japan
time): each live enrollment's position read from the store, its steps ahead walked by
scenarios/forecast.py, a scenario's delivery cap applied in time order.

Enrollments at the same step with the same wake (to the minute) are walked once, so the
walk costs the number of distinct positions, not of friends."""

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.statuses import LIVE
from domain.steps import DateUntil, SurveyStep, WaitStep, walk_steps
from domain.steps.branch import OTHERWISE
from scenarios.definition import ScenarioDefinition
from scenarios.forecast import Position, Walk
from scenarios.policy import ChannelPolicy
from store.definitions import Definitions
from store.enrollment_ids import counted
from store.tables import BranchDecision, Enrollment, Friend, Scenario

JST = timezone(timedelta(hours=9))  # LINE counts a month's messages in Japan time
# held until an operator resumes the scenario, or the friend adds the account again: no day
# to count their messages on
UNTIL_SOMEONE_ACTS = ("pause", "blocked")


@dataclass(frozen=True)
class Group:
    scenario_id: str
    version: int
    position: Position
    user_id: str | None  # set when the walk reads the friend's dates


async def projected_pushes(
    session: AsyncSession,
    definitions: Definitions,
    *,
    policy: ChannelPolicy | None,
    now: datetime,
    horizon: datetime,
) -> dict[date, float]:
    """Expected pushes per Japan-time day from `now` to `horizon`."""
    decided = await _decided(session)
    caps = await _caps(session)
    groups: dict[Group, int] = defaultdict(int)
    versions: dict[tuple[str, int], ScenarioDefinition] = {}
    rows = await session.exec(
        select(
            Enrollment.scenario_id,
            Enrollment.version,
            Enrollment.current_step,
            Enrollment.status,
            Enrollment.next_wake_at,
            Enrollment.user_id,
            Enrollment.hold_reason,
        ).where(col(Enrollment.status).in_(LIVE), counted(Enrollment.id))
    )
    for scenario_id, version, step_id, status, wake, user_id, hold in rows:
        if status == "held" and hold in UNTIL_SOMEONE_ACTS:
            continue
        key = (scenario_id, version)
        if key not in versions:
            versions[key] = await definitions.get(scenario_id, version, session=session)
        definition = versions[key]
        wake = _minute(wake) if wake is not None else None
        step = definition.step(step_id) if step_id else None
        position = Position(
            step_id, status, wake, isinstance(step, SurveyStep) and status == "waiting"
        )
        groups[
            Group(scenario_id, version, position, user_id if _reads_dates(definition) else None)
        ] += 1
    dates = await _dates(session, {g.user_id for g in groups if g.user_id})
    # the walks are plain computation: off the event loop, which serves others meanwhile
    return await asyncio.to_thread(
        _walk_all, groups, versions, decided, caps, dates, policy, now, horizon
    )


def _walk_all(
    groups: dict[Group, int],
    versions: dict[tuple[str, int], ScenarioDefinition],
    decided: dict[str, dict[str, dict[str, float]]],
    caps: dict[str, float],
    dates: dict[str, dict[str, Any]],
    policy: ChannelPolicy | None,
    now: datetime,
    horizon: datetime,
) -> dict[date, float]:
    pushes: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    for group, count in groups.items():
        walk = Walk(
            versions[(group.scenario_id, group.version)],
            policy,
            now,
            horizon,
            decided=decided.get(group.scenario_id, {}),
            date_of=lambda name, user=group.user_id: dates.get(user, {}).get(name),
        )
        pushes[group.scenario_id] += [
            (moment, share * count) for moment, share in walk.from_position(group.position)
        ]
    days: dict[date, float] = defaultdict(float)
    for scenario_id, found in pushes.items():
        left = caps.get(scenario_id)
        for moment, share in sorted(found):
            if left is not None:
                share = min(share, left)
                left -= share
            days[moment.astimezone(JST).date()] += share
    return dict(days)


def _minute(moment: datetime) -> datetime:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.replace(second=0, microsecond=0)


def _reads_dates(definition: ScenarioDefinition) -> bool:
    return any(
        isinstance(step, WaitStep) and isinstance(step.until, DateUntil)
        for _, step in walk_steps(definition.steps)
    )


async def _decided(session: AsyncSession) -> dict[str, dict[str, dict[str, float]]]:
    """scenario → step → {label: share} of the decisions made so far."""
    counts: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for scenario_id, step_id, label, count in await session.exec(
        select(
            BranchDecision.scenario_id, BranchDecision.step_id, BranchDecision.label, func.count()
        )
        .where(counted(BranchDecision.enrollment_id))
        .group_by(BranchDecision.scenario_id, BranchDecision.step_id, BranchDecision.label)
    ):
        counts[scenario_id][step_id][label or OTHERWISE] = count
    return {
        scenario_id: {
            step_id: {label: n / sum(labels.values()) for label, n in labels.items()}
            for step_id, labels in steps.items()
        }
        for scenario_id, steps in counts.items()
    }


async def _caps(session: AsyncSession) -> dict[str, float]:
    """Pushes each capped scenario may still make."""
    found = await session.exec(
        select(Scenario.id, Scenario.delivery_cap, Scenario.sent_count).where(
            col(Scenario.delivery_cap).is_not(None)
        )
    )
    return {scenario_id: max(0, cap - sent) for scenario_id, cap, sent in found}


async def _dates(session: AsyncSession, user_ids: set[str]) -> dict[str, dict[str, Any]]:
    """The attributes of the friends whose walks wait until one of their dates."""
    ordered, found = sorted(user_ids), {}
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        for user_id, attributes in await session.exec(
            select(Friend.user_id, Friend.attributes).where(col(Friend.user_id).in_(chunk))
        ):
            found[user_id] = attributes or {}
    return found
