"""What a change to a friend's data means for journeys, decided the moment it is committed:

- a running enrollment whose scenario's `exit` now holds gets the `exit` signal;
- an enrollment waiting in a `wait_for` step whose `until` now holds gets `condition_met`;
- a friend who has just entered the audience of an audience-triggered scenario is enrolled;
- an event enrols into the scenarios it triggers (a text message: those whose keywords it has);
- a route recorded right after a follow lets route-limited follow scenarios take the friend.

Signals make this immediate; correctness does not hang on them: a send re-checks `exit` and a
`wait_for` looks again when its time is up."""

import logging
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from core.dates import parse_date
from scenarios.definition import (
    AudienceTrigger,
    DateTrigger,
    DateUntil,
    EventTrigger,
    KeywordTrigger,
    WaitForStep,
    WaitStep,
)
from scenarios.values import properties_match
from store import audiences, enrollments, scenarios
from store.conditions import FriendFacts
from store.db import Database
from store.definitions import Definitions
from store.tables import Audience, Enrollment, Friend, Scenario, StepEntry, TriggerMembership
from store.types import utcnow
from store.upsert import upsert
from triggers.enrol import Enroller
from triggers.temporal import (
    conditions_met,
    date_trigger_id,
    dates_changed,
    end_date_schedules,
    exit_enrollments,
    schedule_dates,
)
from workflows.types import DateChanged, DateTriggerInput

log = logging.getLogger("stepline.changes")
RECENT_FOLLOW = timedelta(hours=1)  # a route link's callback may come after the follow
BULK = 100  # above this many friends, read an audience's members once instead of one by one
AUDIENCE_TRIGGERS_TTL = 5.0  # seconds the "any audience-triggered scenario?" answer is kept
# changes that never touch a friend's attributes: no date can have moved
DATELESS = frozenset({"event", "tags", "route", "audience"})


class FriendChanges:
    def __init__(
        self, *, db: Database, temporal: Client, definitions: Definitions, enroller: Enroller
    ):
        self.db, self.temporal, self.definitions = db, temporal, definitions
        self.enroller = enroller
        self._audience_triggers_checked = -AUDIENCE_TRIGGERS_TTL
        self._any_audience_triggers = True

    async def changed(self, user_ids: Iterable[str], *, reason: str = "data") -> None:
        """Call after committing any change to these friends' data (attributes, tags, route,
        events, clicks, audience members, deliveries). Never raises: the change is already
        stored, and a failure here (Temporal down) is logged."""
        ids = list(dict.fromkeys(user_ids))
        if not ids:
            return
        try:
            await self._running(ids)
            await self._audience_triggers(ids)
            if reason not in DATELESS:
                await self._date_triggers(ids)
            if reason == "route":
                await self._recent_follows(ids)
        except Exception:
            log.exception("reacting to a %s change of %d friend(s) failed", reason, len(ids))

    async def delivered(self, user_id: str) -> None:
        """A message was sent: only `delivered` audiences can have changed."""
        try:
            await self._audience_triggers([user_id])
        except Exception:
            log.exception("reacting to a delivery to %s failed", user_id)

    async def event_recorded(
        self, user_id: str, name: str, properties: dict[str, Any], *, seq: int | None = None
    ) -> None:
        """An event was committed for this friend (`seq`: its Event.seq, when known, so that
        handling one event twice never enrols twice; see Enroller.enrol)."""
        try:
            async with self.db.reading() as session:
                candidates = await scenarios.enrolling_on(session, trigger_type="event")
                if _text_message(name, properties):
                    candidates += await scenarios.enrolling_on(session, trigger_type="keyword")
                friend = await session.get(Friend, user_id)
            for scenario in candidates:
                trigger = (await self.definitions.get(scenario.id, scenario.version)).trigger
                if friend is not None and _triggered(trigger, name, properties):
                    cause = "keyword" if isinstance(trigger, KeywordTrigger) else "event"
                    await self.enroller.enrol(scenario, friend, cause=cause, event_seq=seq)
        except Exception:
            log.exception("event %s of %s: enrolling failed", name, user_id)
        await self.changed([user_id], reason="event")

    async def scenario_activated(self, scenario: Scenario) -> None:
        """An audience-triggered scenario takes friends who enter its audience from now on:
        remember who is inside already."""
        definition = await self.definitions.get(scenario.id, scenario.version)
        if isinstance(definition.trigger, DateTrigger):
            await self._schedule_everyone(scenario)
            return
        if not isinstance(definition.trigger, AudienceTrigger):
            return
        async with self.db.session() as session:
            await session.exec(
                delete(TriggerMembership).where(col(TriggerMembership.scenario_id) == scenario.id)
            )
            audience = await session.get(Audience, definition.trigger.audience)
            inside = (
                await audiences.member_ids(session, audience=audience, at=utcnow())
                if audience
                else []
            )
            rows = [{"scenario_id": scenario.id, "user_id": u, "inside": True} for u in inside]
            for start in range(0, len(rows), 1000):
                await upsert(
                    session, TriggerMembership, rows[start : start + 1000], keys=_MEMBERSHIP_KEYS
                )
            await session.commit()
        self._audience_triggers_checked = -AUDIENCE_TRIGGERS_TTL

    # --- running enrollments: exit and wait_for -----------------------------------------

    async def _running(self, ids: list[str]) -> None:
        # SQLite: one transaction at a time, so definitions are read before, not inside, one
        async with self.db.reading() as session:
            live = await enrollments.live_for_friends(session, user_ids=ids)
        definitions = {
            row.id: await self.definitions.get(row.scenario_id, row.version) for row in live
        }
        exits: dict[str, str] = {}
        met: dict[str, str] = {}
        moved: dict[str, DateChanged] = {}
        async with self.db.reading() as session:
            for row in live:
                definition = definitions[row.id]
                facts = FriendFacts(
                    session,
                    row.user_id,
                    at=utcnow(),
                    enrollment_id=row.id,
                    events_after=row.event_seq,
                )
                for index, condition in enumerate(definition.exit or []):
                    if await facts.holds(condition):
                        exits[row.id] = f"exit[{index}]"
                        break
                if row.id in exits or row.status != "waiting" or not row.current_step:
                    continue
                step = definition.step(row.current_step)
                if isinstance(step, WaitForStep) and await self._until_holds(session, row, step):
                    met[row.id] = step.id
                if isinstance(step, WaitStep) and isinstance(step.until, DateUntil):
                    friend = await session.get(Friend, row.user_id)
                    value = friend.attributes.get(step.until.attribute) if friend else None
                    moved[row.id] = DateChanged(
                        attribute=step.until.attribute, value=value, at=utcnow()
                    )
        if exits:
            log.info("exit conditions hold for %d enrollment(s)", len(exits))
            await exit_enrollments(self.temporal, exits)
        if met:
            await conditions_met(self.temporal, met)
        if moved:  # a wait until a date: the wake moves with the friend's date
            await dates_changed(self.temporal, moved)

    async def _until_holds(self, session: AsyncSession, row: Enrollment, step: WaitForStep) -> bool:
        entry = await session.get(StepEntry, (row.id, step.id))
        facts = FriendFacts(
            session,
            row.user_id,
            at=utcnow(),
            enrollment_id=row.id,
            events_after=entry.event_seq if entry else None,
        )
        return await facts.holds(step.until)

    # --- date triggers ------------------------------------------------------------------

    async def _date_triggers(self, ids: list[str]) -> None:
        """Each date-triggered scenario's schedule for these friends follows their date as
        it is now: started, moved, or (no date any more) ended."""
        async with self.db.reading() as session:
            candidates = await scenarios.enrolling_on(session, trigger_type="date")
            friends = (
                list(await session.exec(select(Friend).where(col(Friend.user_id).in_(ids))))
                if candidates
                else []
            )
        for scenario in candidates:
            definition = await self.definitions.get(scenario.id, scenario.version)
            inputs = [date_input(scenario, definition, friend) for friend in friends]
            dated = [i for i in inputs if i is not None and parse_date(i.value) is not None]
            undated = {
                date_trigger_id(i.scenario_id, i.user_id): DateChanged(
                    attribute=i.attribute, value=i.value, at=i.value_at or utcnow()
                )
                for i in inputs
                if i is not None and parse_date(i.value) is None
            }
            await schedule_dates(self.temporal, task_queue=self.enroller.task_queue, inputs=dated)
            if undated:  # a running schedule ends; none is started
                await dates_changed(self.temporal, undated)

    async def scenario_ended(self, scenario: Scenario) -> None:
        """An ended date-triggered scenario: every friend's schedule stops now, not at its
        next moment (up to a year later). One that fires meanwhile enrols nobody."""
        definition = await self.definitions.get(scenario.id, scenario.version)
        if not isinstance(definition.trigger, DateTrigger):
            return
        attribute = definition.trigger.attribute
        async with self.db.reading() as session:  # those with a date: the others have none
            users = [
                friend.user_id
                for friend in await session.exec(select(Friend))
                if parse_date(friend.attributes.get(attribute)) is not None
            ]
        ids = [date_trigger_id(scenario.id, user) for user in users]
        ended = await end_date_schedules(self.temporal, ids)
        log.info("date trigger of %s: %d schedule(s) ended", scenario.id, ended)

    async def dates_rescheduled(self, scenario: Scenario) -> None:
        """A new version of an active date-triggered scenario: every friend's schedule goes
        on from its trigger (one whose friend has no date now ends at its moment)."""
        try:
            await self._schedule_everyone(scenario)
        except Exception:
            log.exception("rescheduling the date trigger of %s failed", scenario.id)

    async def _schedule_everyone(self, scenario: Scenario) -> None:
        """A date-triggered scenario is activated: a schedule for every friend with a date."""
        definition = await self.definitions.get(scenario.id, scenario.version)
        assert isinstance(definition.trigger, DateTrigger)
        attribute = definition.trigger.attribute
        async with self.db.reading() as session:
            friends = [
                friend
                for friend in await session.exec(select(Friend))
                if parse_date(friend.attributes.get(attribute)) is not None
            ]
        inputs = [date_input(scenario, definition, friend) for friend in friends]
        for start in range(0, len(inputs), 1000):
            await schedule_dates(
                self.temporal,
                task_queue=self.enroller.task_queue,
                inputs=[i for i in inputs[start : start + 1000] if i is not None],
            )
        log.info("date trigger of %s: %d friend(s) scheduled", scenario.id, len(inputs))

    # --- audience triggers --------------------------------------------------------------

    async def _audience_triggers(self, ids: list[str]) -> None:
        if not await self._may_have_audience_triggers():
            return
        async with self.db.reading() as session:
            candidates = await scenarios.enrolling_on(session, trigger_type="audience")
        triggers = [
            (scenario, (await self.definitions.get(scenario.id, scenario.version)).trigger)
            for scenario in candidates
        ]
        entering: list[tuple[Scenario, str]] = []
        async with self.db.session() as session:
            for scenario, trigger in triggers:
                audience = (
                    await session.get(Audience, trigger.audience)
                    if isinstance(trigger, AudienceTrigger)
                    else None
                )
                if audience is not None:
                    new = await self._entered(session, scenario, audience, ids)
                    entering.extend((scenario, user_id) for user_id in new)
            await session.commit()
            friends = {
                friend.user_id: friend
                for friend in await session.exec(
                    select(Friend).where(col(Friend.user_id).in_({u for _, u in entering}))
                )
            }
        for scenario, user_id in entering:
            await self.enroller.enrol(scenario, friends[user_id], cause="audience")

    async def _entered(
        self, session: AsyncSession, scenario: Scenario, audience: Audience, ids: list[str]
    ) -> list[str]:
        """Who of `ids` is inside now but was not when last looked at (and remember it)."""
        now = utcnow()
        if len(ids) > BULK:
            members = await audiences.member_ids(session, audience=audience, at=now)
            inside = {user_id: user_id in members for user_id in ids}
        else:
            inside = {
                user_id: await audiences.is_member(
                    session, audience=audience, user_id=user_id, at=now
                )
                for user_id in ids
            }
        before = {
            row.user_id: row.inside
            for row in await session.exec(
                select(TriggerMembership).where(
                    TriggerMembership.scenario_id == scenario.id,
                    col(TriggerMembership.user_id).in_(ids),
                )
            )
        }
        changes = [
            {"scenario_id": scenario.id, "user_id": u, "inside": now_in, "changed_at": now}
            for u, now_in in inside.items()
            if before.get(u, False) != now_in
        ]
        await upsert(session, TriggerMembership, changes, keys=_MEMBERSHIP_KEYS)
        return [change["user_id"] for change in changes if change["inside"]]

    async def _may_have_audience_triggers(self) -> bool:
        """Cheap for the hot paths (every send is a `delivered` change): ask the database at
        most every few seconds whether any audience-triggered scenario takes friends."""
        clock = time.monotonic()
        if clock - self._audience_triggers_checked > AUDIENCE_TRIGGERS_TTL:
            async with self.db.reading() as session:
                found = await scenarios.enrolling_on(session, trigger_type="audience")
            self._any_audience_triggers = bool(found)
            self._audience_triggers_checked = clock
        return self._any_audience_triggers

    # --- routes -------------------------------------------------------------------------

    async def _recent_follows(self, ids: list[str]) -> None:
        since = utcnow() - RECENT_FOLLOW
        async with self.db.reading() as session:
            recent = [
                friend
                for friend in await session.exec(
                    select(Friend).where(col(Friend.user_id).in_(ids), col(Friend.following))
                )
                if friend.followed_at and friend.followed_at >= since
            ]
            candidates = (
                await scenarios.enrolling_on(session, trigger_type="follow") if recent else []
            )
        for friend in recent:
            for scenario in candidates:
                await self.enroller.enrol(scenario, friend, cause="follow")


_MEMBERSHIP_KEYS = ["scenario_id", "user_id"]


def _text_message(name: str, properties: dict[str, Any]) -> bool:
    return name == "message" and isinstance(properties.get("text"), str)


def _triggered(trigger: Any, name: str, properties: dict[str, Any]) -> bool:
    """Whether this event starts the scenario of that trigger."""
    if isinstance(trigger, EventTrigger):
        return trigger.event == name and properties_match(trigger.properties, properties)
    if isinstance(trigger, KeywordTrigger):
        return _text_message(name, properties) and trigger.matches(properties["text"])
    return False


def date_input(scenario: Scenario, definition: Any, friend: Friend) -> DateTriggerInput | None:
    """A friend's date schedule in a date-triggered scenario as they both are now."""
    trigger = definition.trigger
    if not isinstance(trigger, DateTrigger):
        return None
    return DateTriggerInput(
        scenario_id=scenario.id,
        user_id=friend.user_id,
        attribute=trigger.attribute,
        offset=trigger.offset,
        at=trigger.at,
        timezone=definition.timezone,
        yearly=trigger.yearly,
        value=friend.attributes.get(trigger.attribute),
        value_at=utcnow(),
    )
