"""What a change to a friend's data means for journeys, evaluated by the dispatcher in the
transaction that takes the change from the outbox (triggers/dispatch.py), and written there as
commands for Temporal:

- a running enrollment whose scenario's `exit` now holds gets the `exit` signal;
- an enrollment waiting in a `wait_for` step whose `until` now holds gets `condition_met`;
- an enrollment waiting until a date attribute is told the date as it is now;
- a friend who has just entered the audience of an audience-triggered scenario is enrolled;
- an event enrols into the scenarios it triggers (a text message: those whose keywords it has);
- a route recorded right after a follow lets route-limited follow scenarios take the friend;
- a date-triggered scenario's schedule for the friend follows their date.

Signals make this immediate; correctness does not hang on them: a send re-checks `exit` and a
`wait_for` looks again when its time is up."""

import logging
from datetime import timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.steps import DateUntil, WaitForStep, WaitStep
from domain.values import properties_match
from scenarios.date_runs import DateChanged
from scenarios.runs import ConditionMet, ExitSignal
from scenarios.trigger import EventTrigger, KeywordTrigger
from store import enrollments, scenarios
from store.conditions import FriendFacts
from store.definitions import Definitions
from store.tables import Enrollment, Friend
from store.types import utcnow
from triggers import audience_triggers, date_triggers, record
from triggers.enrol import Enroller, record_admission
from triggers.kinds import Reason

log = logging.getLogger("stepline.changes")
RECENT_FOLLOW = timedelta(hours=1)  # a route link's callback may come after the follow
# changes that never touch a friend's attributes: no date can have moved
DATELESS = frozenset({"event", "tags", "route", "audience", "click"})


class FriendChanges:
    def __init__(self, *, definitions: Definitions, enroller: Enroller):
        self.definitions, self.enroller = definitions, enroller

    async def changed(self, session: AsyncSession, ids: list[str], *, reason: Reason) -> None:
        """These friends' data changed (attributes, tags, route, events, clicks, audience
        members, deliveries): the commands it calls for, in the caller's transaction."""
        if not ids:
            return
        await self._running(session, ids)
        await audience_triggers.enter(session, self.definitions, self.enroller, ids)
        if reason not in DATELESS:
            await date_triggers.follow_dates(session, self.definitions, ids)
        if reason == "route":
            await self._recent_follows(session, ids)

    async def delivered(self, session: AsyncSession, user_id: str) -> None:
        """A message was sent: only `delivered` audiences can have changed."""
        await audience_triggers.enter(session, self.definitions, self.enroller, [user_id])

    async def event(
        self,
        session: AsyncSession,
        user_id: str,
        name: str,
        properties: dict[str, Any],
        *,
        seq: int | None = None,
        reason: Reason = "event",
        reply_event: str | None = None,
    ) -> None:
        """An event was recorded for this friend (`seq`: its Event.seq, when known, so that
        handling one event twice never enrols twice; see Enroller.admit). `reason`:
        `attributes` for one that changed an attribute too (a survey's answer). `reply_event`:
        the webhook event it is (a message, a postback), whose replyToken an enrollment it
        starts may answer with."""
        candidates = await scenarios.enrolling_on(session, trigger_type="event")
        if _text_message(name, properties):
            candidates += await scenarios.enrolling_on(session, trigger_type="keyword")
        friend = await session.get(Friend, user_id)
        for scenario in candidates:
            trigger = (
                await self.definitions.get(scenario.id, scenario.version, session=session)
            ).trigger
            if friend is not None and _triggered(trigger, name, properties):
                cause = "keyword" if isinstance(trigger, KeywordTrigger) else "event"
                admission = await self.enroller.admit(
                    session, scenario, friend, cause=cause, event_seq=seq, reply_event=reply_event
                )
                if admission is not None:
                    record_admission(session, admission)
        await self.changed(session, [user_id], reason=reason)

    # --- running enrollments: exit, wait_for, waits until a date -------------------------

    async def _running(self, session: AsyncSession, ids: list[str]) -> None:
        live = await enrollments.live_for_friends(session, user_ids=ids)
        friends: dict[str, Friend | None] = {}
        for row in live:
            definition = await self.definitions.get(row.scenario_id, row.version, session=session)
            facts = FriendFacts.since_enrolled(session, row.user_id, row.id, row)
            exited = False
            for index, condition in enumerate(definition.exit or []):
                if await facts.holds(condition):
                    self._signal(session, row, "exit", ExitSignal(reason=f"exit[{index}]"))
                    exited = True
                    break
            if exited or row.status != "waiting" or not row.current_step:
                continue
            step = definition.step(row.current_step)
            if isinstance(step, WaitForStep) and await self._until_holds(session, row, step):
                self._signal(session, row, "condition_met", ConditionMet(step_id=step.id))
            if isinstance(step, WaitStep) and isinstance(step.until, DateUntil):
                if row.user_id not in friends:
                    friends[row.user_id] = await session.get(Friend, row.user_id)
                friend = friends[row.user_id]
                value = friend.attributes.get(step.until.attribute) if friend else None
                moved = DateChanged(attribute=step.until.attribute, value=value, at=utcnow())
                self._signal(session, row, "date_changed", moved)  # the wake moves with it

    @staticmethod
    def _signal(session: AsyncSession, row: Enrollment, name: str, args: Any) -> None:
        record.signal(session, workflow_id=row.id, name=name, args=args)

    async def _until_holds(self, session: AsyncSession, row: Enrollment, step: WaitForStep) -> bool:
        facts = await FriendFacts.since_step(session, row.user_id, row.id, step.id)
        return await facts.holds(step.until)

    # --- routes -------------------------------------------------------------------------

    async def _recent_follows(self, session: AsyncSession, ids: list[str]) -> None:
        since = utcnow() - RECENT_FOLLOW
        recent = [
            friend
            for friend in await session.exec(
                select(Friend).where(col(Friend.user_id).in_(ids), col(Friend.following))
            )
            if friend.followed_at and friend.followed_at >= since
        ]
        if not recent:
            return
        candidates = await scenarios.enrolling_on(session, trigger_type="follow")
        for friend in recent:
            for scenario in candidates:
                admission = await self.enroller.admit(session, scenario, friend, cause="follow")
                if admission is not None:
                    record_admission(session, admission)


def _text_message(name: str, properties: dict[str, Any]) -> bool:
    return name == "message" and isinstance(properties.get("text"), str)


def _triggered(trigger: Any, name: str, properties: dict[str, Any]) -> bool:
    """Whether this event starts the scenario of that trigger."""
    if isinstance(trigger, EventTrigger):
        return trigger.event == name and properties_match(trigger.properties, properties)
    if isinstance(trigger, KeywordTrigger):
        return _text_message(name, properties) and trigger.matches(properties["text"])
    return False
