"""Date-triggered scenarios (a birthday, a contract's end): one schedule per friend and scenario
(workflows/date_trigger.py), started, moved or ended as the friend's date changes."""

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.dates import parse_date
from scenarios.date_runs import DateChanged, DateTriggerInput
from scenarios.trigger import DateTrigger
from store import scenarios
from store.definitions import Definitions
from store.tables import Friend, Scenario
from store.types import utcnow
from triggers import record
from triggers.temporal import date_trigger_id


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


def dated(friend: Friend, attribute: str) -> bool:
    return parse_date(friend.attributes.get(attribute)) is not None


async def follow_dates(session: AsyncSession, definitions: Definitions, ids: list[str]) -> None:
    """Each date-triggered scenario's schedule for these friends follows their date as it is
    now: started or moved (a command each), or, with no date any more, told so (it ends at
    its moment)."""
    candidates = await scenarios.enrolling_on(session, trigger_type="date")
    if not candidates:
        return
    friends = list(await session.exec(select(Friend).where(col(Friend.user_id).in_(ids))))
    for scenario in candidates:
        definition = await definitions.get(scenario.id, scenario.version, session=session)
        for friend in friends:
            input = date_input(scenario, definition, friend)
            if input is None:
                continue
            if parse_date(input.value) is not None:
                record.schedule_date(session, input)
                continue
            record.signal(  # a running schedule ends; none is started
                session,
                workflow_id=date_trigger_id(scenario.id, friend.user_id),
                name="date_changed",
                args=DateChanged(
                    attribute=input.attribute, value=input.value, at=input.value_at or utcnow()
                ),
            )
