"""Decide branch conditions for one friend from the store, at the moment they are asked."""

from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from scenarios.conditions import (
    AllCondition,
    AnyCondition,
    AttributeCondition,
    AudienceCondition,
    NotCondition,
    TagCondition,
)
from store.tables import AudienceMember, Friend, FriendTag


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _same(actual: Any, expected: Any) -> bool:
    """Equality that forgives how a value arrived (CSV gives "27" and "true")."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return str(actual).lower() == str(expected).lower()
    if isinstance(expected, int | float) and _number(actual) is not None:
        return _number(actual) == float(expected)
    return actual == expected


def attribute_holds(condition: AttributeCondition, attributes: dict[str, Any]) -> bool:
    present = attributes.get(condition.attribute) not in (None, "")
    if condition.exists is not None:
        return present == condition.exists
    if not present:
        return False
    value = attributes[condition.attribute]
    if condition.equals is not None:
        return _same(value, condition.equals)
    if condition.in_ is not None:
        return any(_same(value, option) for option in condition.in_)
    if condition.not_in is not None:
        return not any(_same(value, option) for option in condition.not_in)
    number = _number(value)
    if number is None:
        return False
    if condition.between is not None:
        return condition.between[0] <= number <= condition.between[1]
    if condition.gte is not None:
        return number >= condition.gte
    return condition.lte is not None and number <= condition.lte


class FriendFacts:
    """What conditions read about one friend, each fetched once and only if asked."""

    def __init__(self, session: AsyncSession, user_id: str):
        self.session, self.user_id = session, user_id
        self._attributes: dict[str, Any] | None = None
        self._tags: set[str] | None = None
        self._audiences: dict[str, bool] = {}
        self.inputs: dict[str, Any] = {}  # what was read, to explain the decision later

    async def attributes(self) -> dict[str, Any]:
        if self._attributes is None:
            friend = await self.session.get(Friend, self.user_id)
            self._attributes = dict(friend.attributes) if friend else {}
        return self._attributes

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
            member = await self.session.get(AudienceMember, (audience_id, self.user_id))
            self._audiences[audience_id] = member is not None
            self.inputs[f"audience:{audience_id}"] = member is not None
        return self._audiences[audience_id]

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
