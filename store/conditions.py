"""Decide branch conditions for one friend from the store, at the moment they are asked."""

from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.conditions import (
    AllCondition,
    AnyCondition,
    AttributeCondition,
    AudienceCondition,
    ClickedCondition,
    EventCondition,
    NotCondition,
    TagCondition,
)
from domain.values import number, same
from store import audiences
from store.tables import Audience, Click, Enrollment, Event, Friend, FriendTag, StepEntry
from store.types import utcnow


def attribute_holds(condition: AttributeCondition, attributes: dict[str, Any]) -> bool:
    present = attributes.get(condition.attribute) not in (None, "")
    if condition.exists is not None:
        return present == condition.exists
    if not present:
        return False
    value = attributes[condition.attribute]
    if condition.equals is not None:
        return same(value, condition.equals)
    if condition.in_ is not None:
        return any(same(value, option) for option in condition.in_)
    if condition.not_in is not None:
        return not any(same(value, option) for option in condition.not_in)
    amount = number(value)
    if amount is None:
        return False
    if condition.between is not None:
        return condition.between[0] <= amount <= condition.between[1]
    if condition.gte is not None:
        return amount >= condition.gte
    return condition.lte is not None and amount <= condition.lte


class FriendFacts:
    """What conditions read about one friend at one moment, each fetched once and only if
    asked. `enrollment_id` scopes `clicked`; `events_after` (an Event.seq) makes an `event`
    without `within` count only events recorded after it (exit: since the enrollment began;
    wait_for: since the step began)."""

    def __init__(
        self,
        session: AsyncSession,
        user_id: str,
        *,
        at: datetime,
        enrollment_id: str | None = None,
        events_after: int | None = None,
    ):
        self.session, self.user_id, self.at = session, user_id, at
        self.enrollment_id, self.events_after = enrollment_id, events_after
        self._attributes: dict[str, Any] | None = None
        self._tags: set[str] | None = None
        self._audiences: dict[str, bool] = {}
        self.inputs: dict[str, Any] = {}  # what was read, to explain the decision later

    @classmethod
    def since_enrolled(
        cls, session: AsyncSession, user_id: str, enrollment_id: str, enrollment: Enrollment | None
    ) -> "FriendFacts":
        """For an enrollment's `exit`, now: events since the enrollment began."""
        return cls(
            session,
            user_id,
            at=utcnow(),
            enrollment_id=enrollment_id,
            events_after=enrollment.event_seq if enrollment else None,
        )

    @classmethod
    async def since_step(
        cls, session: AsyncSession, user_id: str, enrollment_id: str, step_id: str
    ) -> "FriendFacts":
        """For a wait_for step's `until`, now: events since the enrollment entered the step."""
        entry = await session.get(StepEntry, (enrollment_id, step_id))
        return cls(
            session,
            user_id,
            at=utcnow(),
            enrollment_id=enrollment_id,
            events_after=entry.event_seq if entry else None,
        )

    async def attributes(self) -> dict[str, Any]:
        """The friend's attributes; LINE's profile `language` unless an attribute says otherwise."""
        if self._attributes is None:
            self.know(await self.session.get(Friend, self.user_id))
        assert self._attributes is not None
        return self._attributes

    def know(self, friend: Friend | None) -> "FriendFacts":
        """The friend's row, read already (with other friends' at once)."""
        self._attributes = {}
        if friend and friend.language:
            self._attributes["language"] = friend.language
        self._attributes.update(friend.attributes if friend else {})
        return self

    def know_tags(self, tags: set[str]) -> "FriendFacts":
        """The friend's tags, read already (with other friends' at once)."""
        self._tags = set(tags)
        return self

    def know_audience(self, audience_id: str, member: bool) -> "FriendFacts":
        """Whether the friend is in the audience at `at`, read already (store.audiences.member_ids
        over many friends at once)."""
        self._audiences[audience_id] = member
        return self

    async def tags(self) -> set[str]:
        if self._tags is None:
            rows = await self.session.exec(
                select(FriendTag.tag).where(FriendTag.user_id == self.user_id)
            )
            self._tags = set(rows)
            self.inputs["tags"] = sorted(self._tags)
        return self._tags

    async def in_audience(self, audience_id: str) -> bool:
        if audience_id not in self._audiences:
            audience = await self.session.get(Audience, audience_id)
            member = audience is not None and await audiences.is_member(
                self.session, audience=audience, user_id=self.user_id, at=self.at
            )
            self._audiences[audience_id] = member
            self.inputs[f"audience:{audience_id}"] = member
        return self._audiences[audience_id]

    async def had_event(self, condition: EventCondition) -> bool:
        statement = select(Event.properties).where(
            Event.user_id == self.user_id, Event.name == condition.event
        )
        if condition.period is not None:
            statement = statement.where(Event.occurred_at >= self.at - condition.period)
        elif self.events_after is not None:
            statement = statement.where(col(Event.seq) > self.events_after)
        if not (condition.properties or condition.keyword or condition.data):
            statement = statement.limit(1)
        found = any(
            condition.matches(properties) for properties in await self.session.exec(statement)
        )
        detail = (
            f" keyword={condition.keyword}"
            if condition.keyword is not None
            else f" data={condition.data}"
            if condition.data is not None
            else ""
        )
        self.inputs[f"event:{condition.event}{detail}"] = found
        return found

    async def clicked(self, step_id: str) -> bool:
        if self.enrollment_id is None:
            return False
        statement = (
            select(Click.seq)
            .where(Click.enrollment_id == self.enrollment_id, Click.step_id == step_id)
            .limit(1)
        )
        found = (await self.session.exec(statement)).first() is not None
        self.inputs[f"clicked:{step_id}"] = found
        return found

    async def holds(self, condition: Any) -> bool:
        match condition:
            case AttributeCondition():
                attributes = await self.attributes()
                self.inputs[f"attribute:{condition.attribute}"] = attributes.get(
                    condition.attribute
                )
                return attribute_holds(condition, attributes)
            case TagCondition(tag=tag):
                return tag in await self.tags()
            case AudienceCondition(audience=audience):
                return await self.in_audience(audience)
            case EventCondition():
                return await self.had_event(condition)
            case ClickedCondition(clicked=step_id):
                return await self.clicked(step_id)
            case AllCondition(all=parts):
                for part in parts:
                    if not await self.holds(part):
                        return False
                return True
            case AnyCondition(any=parts):
                for part in parts:
                    if await self.holds(part):
                        return True
                return False
            case NotCondition(not_=inner):
                return not await self.holds(inner)
        raise TypeError(f"unknown condition {condition!r}")
