"""Activities of date journeys: enrol a friend whose date has come (DateTriggerWorkflow), and
read a friend's date attribute (a wait `until` a date, in the enrollment workflow)."""

from datetime import timedelta

from temporalio import activity

from core.dates import next_occurrence
from scenarios.date_runs import DateChanged, DateFire, DateFireResult, FriendDateRequest
from scenarios.trigger import DateTrigger
from store.db import Database
from store.definitions import Definitions
from store.tables import Friend, Scenario
from store.types import utcnow
from triggers.date_triggers import date_input
from triggers.enrol import Enroller
from workflows import contract

SKEW = timedelta(minutes=1)  # the worker's clock may lag the timer that fired a little


class DateActivities(contract.Dates):
    def __init__(self, db: Database, definitions: Definitions, enroller: Enroller):
        self.db, self.definitions, self.enroller = db, definitions, enroller

    @activity.defn
    async def fire_date_trigger(self, fire: DateFire) -> DateFireResult:
        """Enrol the friend whose date has come, as the scenario is now: an ended (or
        deleted) scenario, or one no longer triggered by a date, stops the schedule; a friend
        who does not follow now is skipped this time (next year's still comes)."""
        async with self.db.reading() as session:
            scenario = await session.get(Scenario, fire.scenario_id)
            friend = await session.get(Friend, fire.user_id)
        if scenario is None or scenario.status not in ("active", "paused"):
            state = scenario.status if scenario else "missing"
            return DateFireResult(reason=f"scenario {fire.scenario_id} is {state}", stop=True)
        definition = await self.definitions.get(scenario.id, scenario.version)
        trigger = definition.trigger
        if not isinstance(trigger, DateTrigger):
            return DateFireResult(reason="the scenario is no longer date-triggered", stop=True)
        if friend is None:
            return DateFireResult(reason="no such friend", stop=True)
        settings = date_input(scenario, definition, friend)
        assert settings is not None
        still = next_occurrence(
            settings.value,
            settings.offset,
            settings.at,
            settings.timezone,
            yearly=settings.yearly,
            after=fire.due - timedelta(seconds=1),
        )
        if still != fire.due:  # the date changed and its signal was lost: move, not fire
            return DateFireResult(
                reason="the friend's date has changed", reschedule=settings, moved=True
            )
        if not friend.following:
            return DateFireResult(
                reason="the friend does not follow the account now", reschedule=settings
            )
        enrolled = await self.enroller.enrol(scenario, friend, cause="date", since=fire.due - SKEW)
        return DateFireResult(
            enrollment_id=enrolled,
            reason=None if enrolled else "the scenario did not take them",
            reschedule=settings,
        )

    @activity.defn
    async def read_friend_date(self, request: FriendDateRequest) -> DateChanged:
        async with self.db.reading() as session:
            friend = await session.get(Friend, request.user_id)
        value = friend.attributes.get(request.attribute) if friend else None
        return DateChanged(attribute=request.attribute, value=value, at=utcnow())
