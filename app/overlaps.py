"""Follow scenarios that take the same new friends: one service for the API's `warnings`, the
CLI (which prints the API's) and the dashboard, so all three say the same.

Two follow scenarios overlap when a friend added now or later could enter both: their
`routes` share a route (no `routes`: every route) and their `added_from`/`added_until`
periods share a moment from now on. Only scenarios that take new friends count (active or
paused, under their delivery cap, as triggers/friendship.py enrols); the scenario asked
about (a draft, the studio's unsaved document) counts as if it took them.

A new friend's first-day messages (`first_day`): the message and survey steps reached
within 24 hours of the follow along the scenario's first path — every wait's duration
summed (a wait until a moment: the time until it; until the friend's date: the end of the
count), the first branch (its first way) of a branch, a split, a wait_for or a survey
(`then`, taken at once), the rest after it as the friend walks on; a switch ends the count.
Windows, quiet hours and the channel's caps are not considered."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from domain.steps import Step, WaitStep
from domain.steps.wait import DateUntil
from scenarios.definition import ScenarioDefinition
from scenarios.trigger import FollowTrigger
from store import scenarios
from store.tables import Scenario

DAY = timedelta(days=1)
EVERY_ROUTE = None  # a friend added through a route no scenario names


@dataclass
class Taker:
    """A follow scenario that takes new friends."""

    id: str | None  # None: a document not saved yet
    name: str
    status: str
    trigger: FollowTrigger
    messages: int  # a new friend's first-day messages

    def admits(self, route: str | None, moment: datetime) -> bool:
        if self.trigger.routes is not None and route not in self.trigger.routes:
            return False
        start, end = self.trigger.added_from, self.trigger.added_until
        return not ((start and moment < start) or (end and moment >= end))


def first_day(definition: ScenarioDefinition, now: datetime | None = None) -> int:
    """How many message steps a new friend gets within 24 hours (the rule above)."""
    count, _, _ = _walk(definition.steps, timedelta(0), now or datetime.now(UTC))
    return count


def _walk(steps: list[Step], elapsed: timedelta, now: datetime) -> tuple[int, timedelta, bool]:
    """(messages, time elapsed, stopped) along the first path of `steps`."""
    count = 0
    for step in steps:
        if elapsed >= DAY:
            return count, elapsed, True
        if step.SENDS:
            count += 1
        if step.ENDS:
            return count, elapsed, True
        if isinstance(step, WaitStep):
            if isinstance(step.until, DateUntil):
                return count, elapsed, True
            elapsed = step.wake(now + elapsed) - now
            continue
        children = step.children()
        if children:
            inner, elapsed, stopped = _walk(children[0][1], elapsed, now)
            count += inner
            if stopped:
                return count, elapsed, True
    return count, elapsed, elapsed >= DAY


def _taker(scenario_id: str | None, name: str, status: str, definition: ScenarioDefinition):
    if not isinstance(definition.trigger, FollowTrigger):
        return None
    return Taker(scenario_id, name, status, definition.trigger, first_day(definition))


async def _takers(session: AsyncSession, but: str | None = None) -> list[Taker]:
    found = []
    for scenario in await scenarios.enrolling_on(session, trigger_type="follow"):
        if scenario.id == but:
            continue
        try:
            definition = await scenarios.get_definition(
                session, scenario_id=scenario.id, version=scenario.version
            )
        except LookupError:  # its current version is missing: it enrols nobody
            continue
        taker = _taker(scenario.id, scenario.name, scenario.status, definition)
        if taker:
            found.append(taker)
    return found


def _groups(takers: list[Taker], now: datetime) -> list[tuple[tuple[int, ...], dict[str, Any]]]:
    """Each group of takers (their indexes) a new friend could enter together — at some
    route and moment: a friend through another route may meet fewer of them —, with the
    routes and the period it holds for."""
    routes = sorted({route for t in takers for route in t.trigger.routes or []})
    edges = {m for t in takers for m in (t.trigger.added_from, t.trigger.added_until) if m}
    moments = sorted({now} | {m for m in edges if m > now})
    ends: list[datetime | None] = [*moments[1:], None]
    groups: dict[tuple[int, ...], dict[str, Any]] = {}
    for route in [EVERY_ROUTE, *routes]:
        for moment, end in zip(moments, ends, strict=True):
            members = tuple(i for i, t in enumerate(takers) if t.admits(route, moment))
            if len(members) < 2:
                continue
            group = groups.setdefault(members, {"routes": [], "from": moment, "ends": []})
            if route is EVERY_ROUTE:
                group["every_route"] = True
            elif route not in group["routes"]:
                group["routes"].append(route)
            group["from"] = min(group["from"], moment)
            group["ends"].append(end)
    return list(groups.items())


def overlaps(takers: list[Taker], now: datetime | None = None) -> list[dict[str, Any]]:
    """Every overlap among the takers, as a warning."""
    now = now or datetime.now(UTC)
    return [
        _warning([takers[i] for i in members], group, now)
        for members, group in _groups(takers, now)
    ]


def _warning(members: list[Taker], group: dict[str, Any], now: datetime) -> dict[str, Any]:
    total = sum(t.messages for t in members)
    routes = None if group.get("every_route") else group["routes"]
    start = group["from"] if group["from"] > now else None
    names = ", ".join(f"{t.id or 'this scenario'} {t.name!r}" for t in members)
    where = "any route" if routes is None else "route " + " or ".join(repr(r) for r in routes)
    counts = " + ".join(str(t.messages) for t in members)
    pending = [t for t in members if t.status == "draft" or t.id is None]
    when = "once activated, " if pending else ""
    warning = {
        "type": "follow_overlap",
        "msg": (
            f"{len(members)} follow scenarios take the same new friends ({names}): {when}a "
            f"friend added through {where} gets {total} message(s) on the first day ({counts})"
        ),
        "scenarios": [
            {"id": t.id, "name": t.name, "status": t.status, "first_day_messages": t.messages}
            for t in members
        ],
        "any_route": routes is None,
        "routes": routes or [],
        "first_day_messages": total,
        "if_activated": bool(pending),
    }
    if start:  # from now on, unless the overlap begins later
        warning["added_from"] = start.isoformat()
    if None not in group["ends"]:
        warning["added_until"] = max(group["ends"]).isoformat()
    return warning


async def everywhere(session: AsyncSession) -> list[dict[str, Any]]:
    """Every overlap among the follow scenarios that take new friends now."""
    return overlaps(await _takers(session))


async def of_scenario(session: AsyncSession, scenario: Scenario) -> list[dict[str, Any]]:
    """The overlaps this scenario is in, counting it as taking friends (a draft: once
    activated); none for an ended scenario or one at its delivery cap."""
    capped = scenario.delivery_cap is not None and scenario.sent_count >= scenario.delivery_cap
    if scenario.status == "ended" or capped:
        return []
    try:
        definition = await scenarios.get_definition(
            session, scenario_id=scenario.id, version=scenario.version
        )
    except LookupError:
        return []
    return await of_document(session, definition, scenario)


async def of_document(
    session: AsyncSession, definition: ScenarioDefinition, scenario: Scenario | None = None
) -> list[dict[str, Any]]:
    """The overlaps a definition would be in (the studio's document before it is saved)."""
    status = scenario.status if scenario else "draft"
    candidate = _taker(scenario.id if scenario else None, definition.name, status, definition)
    if candidate is None:
        return []
    takers = [candidate, *await _takers(session, but=scenario.id if scenario else None)]
    now = datetime.now(UTC)
    return [
        _warning([takers[i] for i in members], group, now)
        for members, group in _groups(takers, now)
        if 0 in members
    ]
