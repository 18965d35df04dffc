"""Where an enrollment's messages fall from here on: its steps ahead walked in time from where
it is now — waits, each message's window and the channel's quiet hours and closed days, the
ways of a branch, split, wait_for or survey weighted by what was decided so far — giving
(moment, expected pushes) pairs. Pure: the store reads the enrollments (store/forecast.py).

Per-friend caps and the catch-up spacing only move a message later within hours; they are
not modelled. A `switch` ends the walk (the scenario it leads to is not followed)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.calendar import next_allowed
from core.dates import next_occurrence
from domain.steps import AwaitsFriend, DateUntil, SplitStep, Step, WaitStep
from scenarios.definition import ScenarioDefinition
from scenarios.policy import ChannelPolicy

Flow = tuple[datetime, float]  # a moment the walk is at, and the share of friends there
MAX_FLOWS = 64  # ways that end at the same moment are merged; past this, the latest dropped


@dataclass(frozen=True)
class Position:
    """Where an enrollment is: its step, whether that step's own work is still ahead (a
    message held, a wait running), and when it wakes."""

    step_id: str | None  # None: it has not begun its first step
    status: str  # waiting | held | sending
    wake: datetime | None  # when its wait or hold ends (None: now)
    sent_here: bool = False  # a survey's question went already (it waits for the answer)


@dataclass
class Walk:
    """One scenario version under the channel's policy, from `now` up to `horizon`."""

    definition: ScenarioDefinition
    policy: ChannelPolicy | None
    now: datetime
    horizon: datetime
    # (step id) → {label: share}: how the friends before went, for the ways of that step
    decided: dict[str, dict[str, float]] = field(default_factory=dict)
    # a friend's date attribute, for waits until a date (None: unknown, on at once)
    date_of: Callable[[str], Any] = lambda attribute: None
    pushes: list[Flow] = field(default_factory=list)

    def from_position(self, position: Position) -> list[Flow]:
        """The pushes ahead of one enrollment at `position`, each with its expected count."""
        self.pushes = []
        definition = self.definition
        step = definition.step(position.step_id) if position.step_id else None
        start = max(position.wake or self.now, self.now)
        if step is None:
            if position.step_id is None:
                self.run(definition.steps, [(self.now, 1.0)])
            return self.pushes
        flows = self.resume(step, position, start)
        for steps in definition.after(step.id) or []:
            flows = self.run(steps, flows)
        return self.pushes

    def resume(self, step: Step, position: Position, start: datetime) -> list[Flow]:
        """The enrollment's current step, from where it has got to within it."""
        if isinstance(step, WaitStep):
            return [(start, 1.0)]  # its wake is the wait's end
        if isinstance(step, AwaitsFriend) and (position.sent_here or not step.SENDS):
            return self.ways(step, [(self.now, 1.0)], timeout_at=start)
        return self.visit(step, [(start, 1.0)])

    def run(self, steps: list[Step], flows: list[Flow]) -> list[Flow]:
        for step in steps:
            flows = [flow for flow in flows if flow[0] < self.horizon]
            if not flows:
                break
            flows = self.visit(step, flows)
        return flows

    def visit(self, step: Step, flows: list[Flow]) -> list[Flow]:
        if step.ENDS:
            return []
        if step.SENDS:
            flows = [self.send(step, moment, share) for moment, share in flows]
        if isinstance(step, WaitStep):
            return [(self.wake(step, moment), share) for moment, share in flows]
        if isinstance(step, AwaitsFriend):
            return self.ways(step, flows, timeout_at=None)
        ways = step.ways()
        if not ways:  # tag, attribute, rich_menu: nothing sent, no time taken
            return flows
        shares = self.shares(step)
        found: list[Flow] = []
        for label, _, steps in ways:
            share = shares.get(label, 0.0)
            if share > 0:
                found += self.run(steps, [(moment, weight * share) for moment, weight in flows])
        return merged(found)

    def ways(
        self, step: AwaitsFriend, flows: list[Flow], timeout_at: datetime | None
    ) -> list[Flow]:
        """`then` the moment the friend acts (taken as at once), `on_timeout` at its end."""
        shares = self.shares(step)
        found: list[Flow] = []
        then, timed_out = shares.get("then", 0.0), shares.get("on_timeout", 0.0)
        for moment, weight in flows:
            if then > 0:
                found += self.run(step.then, [(moment, weight * then)])
            if timed_out > 0:
                found += self.run(
                    step.on_timeout, [(timeout_at or moment + step.delta, weight * timed_out)]
                )
        return merged(found)

    def shares(self, step: Step) -> dict[str, float]:
        """How the friends ahead will go: a split by its weights; the others as those before
        went (a wait_for or survey with no one yet: timed out; a branch: evenly)."""
        if isinstance(step, SplitStep):
            total = sum(arm.weight for arm in step.arms) or 1
            return {arm.label: arm.weight / total for arm in step.arms}
        seen = self.decided.get(step.id)
        if seen:
            return seen
        if isinstance(step, AwaitsFriend):
            return {"on_timeout": 1.0}
        labels = [label for label, _, _ in step.ways()]
        return {label: 1 / len(labels) for label in labels}

    def wake(self, step: WaitStep, moment: datetime) -> datetime:
        if not isinstance(step.until, DateUntil):
            return step.wake(moment)
        until = step.until
        wake = next_occurrence(
            self.date_of(until.attribute),
            until.offset,
            until.at,
            self.definition.timezone,
            yearly=False,
            after=moment,
        )
        return wake or moment

    def send(self, step: Step, moment: datetime, share: float) -> Flow:
        """When the step's message goes out (its window, the channel's calendar), counted."""
        window = getattr(step, "window", None)  # a kind that sends may hold a window
        policy = self.policy or ChannelPolicy()
        quiet = policy.quiet_hours if policy.quiet_hours_mode == "hold" else None
        try:
            sent = next_allowed(
                moment,
                self.definition.timezone,
                window=(window.start, window.end) if window else None,
                quiet=(quiet.start, quiet.end) if quiet else None,
                skip_weekends=policy.skip_weekends,
                skip_holidays=policy.skip_holidays,
                country=policy.holiday_country,
                closed=policy.closed_days,
            )
        except ValueError:  # no moment within a year: never, as far as the forecast sees
            return self.horizon, share
        if sent < self.horizon:
            self.pushes.append((sent, share))
        return sent, share


def merged(flows: list[Flow]) -> list[Flow]:
    """Flows at the same moment as one; at most MAX_FLOWS, the earliest kept."""
    shares: dict[datetime, float] = {}
    for moment, share in flows:
        shares[moment] = shares.get(moment, 0.0) + share
    return sorted(shares.items())[:MAX_FLOWS]
