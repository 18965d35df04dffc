"""A scenario's reach right now, for the studio: how many friends its trigger would take, and
how each branch and split would divide them, read from the store as it is at this moment.

Who the trigger takes (`Reach.rule` says it in words):
* follow: friends following now who were added through one of its `routes` within
  [added_from, added_until), by their latest follow (exact);
* audience: the audience's size, as the audience pages count it (exact);
* event / keyword: friends following now who recorded such an event (a text message with one
  of the keywords) in the last 30 days, a month's worth of who would be taken;
* date: friends following now whose date attribute holds a usable date (core.dates.parse_date,
  as triggers/date_triggers.py reads it).

Each branch is decided for those friends by the store's own evaluation (store/conditions.py
FriendFacts, as a running enrollment's branch is) on their facts as they are now: tags,
attributes and audiences now, not as earlier steps of this scenario would change them; a
`clicked` condition never holds yet (nothing was sent). The first branch that holds takes a
friend, otherwise `otherwise`; what follows a branch is counted for the friends of the way they
took. A split gives each arm its expected share by weight. Inside wait_for and survey steps
everyone who reaches the step is counted again (what a friend will do is not known).

The work is bounded (store/reach.py): at most a sample of 1,000 friends is decided and the
counts are scaled to the trigger's number; `Reach.exact` is False when they are (show "≈")."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core.dates import parse_date
from domain.steps import BranchStep, SplitStep, Step
from domain.steps.branch import OTHERWISE
from domain.values import properties_match
from scenarios.definition import ScenarioDefinition
from scenarios.trigger import (
    AudienceTrigger,
    DateTrigger,
    EventTrigger,
    FollowTrigger,
    KeywordTrigger,
)
from scenarios.validate import audience_references
from store import reach as counting
from store.conditions import FriendFacts
from store.tables import Audience

LOOKBACK = timedelta(days=30)  # event and keyword triggers: who did it this last month
Population = list[tuple[FriendFacts, float]]  # a friend's facts, and how much of them counts


@dataclass(frozen=True)
class Way:
    label: str
    friends: int
    share: float | None = None  # a split's arm: its weight's share


@dataclass
class Reach:
    trigger: int  # friends the trigger would take
    exact: bool  # False: estimated from a sample (show "≈")
    rule: str  # how `trigger` was counted
    sampled: int  # friends whose branches were decided
    steps: dict[str, list[Way]] = field(default_factory=dict)  # branch and split steps

    def as_json(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger,
            "exact": self.exact,
            "rule": self.rule,
            "sampled": self.sampled,
            "steps": {
                step_id: [
                    {"label": way.label, "friends": way.friends}
                    | ({} if way.share is None else {"share": way.share})
                    for way in ways
                ]
                for step_id, ways in self.steps.items()
            },
        }


class UnknownAudience(LookupError):
    """An audience trigger names an audience the store does not have."""


async def reach(
    session: AsyncSession, definition: ScenarioDefinition, *, at: datetime | None = None
) -> Reach:
    """The reach of a (valid) definition at `at` (now). Raises UnknownAudience for an audience
    trigger's missing audience; a branch's unknown audience simply does not hold."""
    at = at or datetime.now(UTC)
    population, rule = await _taken(session, definition, at)
    audience_ids = [audience for _, audience in audience_references(definition)]
    facts = await counting.facts_for(session, population.user_ids, at=at, audience_ids=audience_ids)
    scale = population.total / len(facts) if facts else 0.0
    exact = population.exact and len(facts) == population.total
    found = Reach(population.total, exact, rule, len(facts))
    await _walk(definition.steps, [(known, 1.0) for known in facts], scale, found.steps)
    return found


async def _taken(
    session: AsyncSession, definition: ScenarioDefinition, at: datetime
) -> tuple[counting.Population, str]:
    trigger = definition.trigger
    if isinstance(trigger, FollowTrigger):
        found = await counting.followers(
            session,
            routes=trigger.routes,
            added_from=trigger.added_from,
            added_until=trigger.added_until,
        )
        return found, "friends following now, added through its routes within its period"
    if isinstance(trigger, AudienceTrigger):
        audience = await session.get(Audience, trigger.audience)
        if audience is None:
            raise UnknownAudience(f"unknown audience {trigger.audience!r}")
        return await counting.audience_members(session, audience, at), "the audience's size"
    if isinstance(trigger, DateTrigger):
        found = await counting.following_where(
            session, lambda attributes: parse_date(attributes.get(trigger.attribute)) is not None
        )
        return found, f"friends following now with a date in {trigger.attribute!r}"
    since = at - LOOKBACK
    if isinstance(trigger, KeywordTrigger):
        found = await counting.event_takers(
            session,
            name="message",
            since=since,
            match=lambda p: isinstance(p.get("text"), str) and trigger.matches(p["text"]),
        )
        return found, "friends following now who sent one of its keywords in the last 30 days"
    assert isinstance(trigger, EventTrigger)
    wanted = trigger.properties
    found = await counting.event_takers(
        session,
        name=trigger.event,
        since=since,
        match=(lambda p: properties_match(wanted, p)) if wanted else None,
    )
    return found, f"friends following now who recorded {trigger.event!r} in the last 30 days"


async def _walk(
    steps: list[Step], population: Population, scale: float, out: dict[str, list[Way]]
) -> None:
    def friends(part: Population) -> int:
        return round(sum(weight for _, weight in part) * scale)

    for step in steps:
        if isinstance(step, BranchStep):
            taken: list[Population] = [[] for _ in range(len(step.branches) + 1)]
            for known, weight in population:
                chosen = len(step.branches)
                for index, branch in enumerate(step.branches):
                    if await known.holds(branch.when):
                        chosen = index
                        break
                taken[chosen].append((known, weight))
            labels = [branch.label for branch in step.branches] + [OTHERWISE]
            out[step.id] = [
                Way(label, friends(part)) for label, part in zip(labels, taken, strict=True)
            ]
            for branch, part in zip(step.branches, taken[:-1], strict=True):
                await _walk(branch.steps, part, scale, out)
            await _walk(step.otherwise or [], taken[-1], scale, out)
        elif isinstance(step, SplitStep):
            total = sum(arm.weight for arm in step.arms)
            out[step.id] = []
            for arm in step.arms:
                share = arm.weight / total
                part = [(known, weight * share) for known, weight in population]
                out[step.id].append(Way(arm.label, friends(part), round(share, 4)))
                await _walk(arm.steps, part, scale, out)
        else:
            for _, children in step.children():
                await _walk(children, population, scale, out)
