"""Audiences (docs/CONTRACT.md §5) and who is in them. Only `upload` audiences keep members; every other kind
is a rule over our own data (clicks, deliveries, tags, add routes, events), evaluated at the
moment it is asked, so a friend enters or leaves one as that data changes.

`Audience.params` by kind (every key present; None or {} when not given):
- upload: {}
- clicked: {"scenario": id | None, "step": id | None, "within": ISO duration | None}
- delivered: {"scenario": id, "step": id, "within": ISO duration | None}
- tag: {"tag": name}
- route: {"route": name}
- event: {"event": name, "properties": {name: scalar}, "within": ISO duration | None}

A period `within` holds for rows with `at - within <= time` (rows later than `at` count too)."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import distinct, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.durations import parse_duration
from domain.statuses import DeliveryStatus
from domain.steps import MessageStep, walk_steps
from domain.values import properties_match
from scenarios.definition import ScenarioDefinition
from store.enrollment_ids import counted
from store.ids import new_id
from store.tables import (
    Audience,
    AudienceMember,
    Click,
    Delivery,
    Event,
    Friend,
    FriendTag,
    ScenarioVersion,
)
from store.upsert import insert_ignore

KINDS = ("upload", "clicked", "delivered", "tag", "route", "event")
_BATCH = 5000
_AMONG = 500  # friends asked about in one query


async def create_audience(
    session: AsyncSession,
    *,
    name: str,
    kind: str,
    params: dict[str, Any],
    user_ids: Iterable[str] = (),
) -> Audience:
    """Create an audience (committed); `user_ids` only for `upload`. `params` as described in
    the module docstring (the API normalises them)."""
    if kind not in KINDS:
        raise ValueError(f"unknown audience kind {kind!r}")
    user_ids = list(user_ids)
    if user_ids and kind != "upload":
        raise ValueError("only upload audiences take members")
    audience = Audience(id=new_id("aud"), name=name, kind=kind, params=dict(params))
    session.add(audience)
    await session.flush()
    await _insert_members(session, audience.id, user_ids)
    await session.commit()
    return audience


async def create_upload(session: AsyncSession, *, name: str, user_ids: list[str]) -> Audience:
    return await create_audience(session, name=name, kind="upload", params={}, user_ids=user_ids)


async def _insert_members(session: AsyncSession, audience_id: str, user_ids: list[str]) -> None:
    unique = list(dict.fromkeys(user_ids))
    for start in range(0, len(unique), _BATCH):
        rows = [{"audience_id": audience_id, "user_id": u} for u in unique[start : start + _BATCH]]
        await insert_ignore(session, AudienceMember, rows)


async def add_members(session: AsyncSession, *, audience_id: str, user_ids: list[str]) -> None:
    await _insert_members(session, audience_id, user_ids)
    await session.commit()


async def get_audience(session: AsyncSession, *, audience_id: str) -> Audience | None:
    return await session.get(Audience, audience_id)


async def message_step_ids(session: AsyncSession, *, scenario_id: str) -> set[str]:
    """Ids of the message steps in any version of a scenario (empty for an unknown one)."""
    definitions = await session.exec(
        select(ScenarioVersion.definition).where(ScenarioVersion.scenario_id == scenario_id)
    )
    return {
        step.id
        for definition in definitions
        for _, step in walk_steps(ScenarioDefinition.model_validate(definition).steps)
        if isinstance(step, MessageStep)
    }


# --- membership -------------------------------------------------------------------------------


def _since(params: dict[str, Any], at: datetime) -> datetime | None:
    within = params.get("within")
    return at - parse_duration(within) if within else None


def _rule(audience: Audience, at: datetime) -> tuple[Any, list[Any]]:
    """The user_id column and the conditions that make a row of it count for membership
    (an `event` audience's properties are matched in Python: forgiving equality, see
    `scenarios.values.same`; a missing property is no match)."""
    params = audience.params
    since = _since(params, at)
    where: list[Any] = []
    match audience.kind:
        case "upload":
            return AudienceMember.user_id, [AudienceMember.audience_id == audience.id]
        case "clicked":
            if params.get("scenario"):
                where.append(Click.scenario_id == params["scenario"])
            where.append(counted(Click.enrollment_id))  # a test send's links are not counted
            if params.get("step"):
                where.append(Click.step_id == params["step"])
            if since is not None:
                where.append(col(Click.clicked_at) >= since)
            return Click.user_id, where
        case "delivered":
            where += [
                Delivery.scenario_id == params["scenario"],
                Delivery.step_id == params["step"],
                Delivery.status == DeliveryStatus.SENT,
                counted(Delivery.enrollment_id),  # nor its pushes
            ]
            if since is not None:
                where.append(col(Delivery.sent_at) >= since)
            return Delivery.user_id, where
        case "tag":
            return FriendTag.user_id, [FriendTag.tag == params["tag"]]
        case "route":
            return Friend.user_id, [Friend.route == params["route"]]
        case "event":
            where.append(Event.name == params["event"])
            if since is not None:
                where.append(col(Event.occurred_at) >= since)
            return Event.user_id, where
    raise ValueError(f"unknown audience kind {audience.kind!r}")


def _wanted_properties(audience: Audience) -> dict[str, Any]:
    return (audience.params.get("properties") or {}) if audience.kind == "event" else {}


async def is_member(
    session: AsyncSession, *, audience: Audience, user_id: str, at: datetime
) -> bool:
    """Whether the friend is in the audience at `at`: one indexed query (LIMIT 1); an `event`
    audience with properties reads that friend's events of the name and matches in Python."""
    column, where = _rule(audience, at)
    properties = _wanted_properties(audience)
    if properties:
        rows = await session.exec(select(Event.properties).where(Event.user_id == user_id, *where))
        return any(properties_match(properties, row or {}) for row in rows)
    found = await session.exec(select(column).where(column == user_id, *where).limit(1))
    return found.first() is not None


async def member_ids(
    session: AsyncSession, *, audience: Audience, at: datetime, among: Iterable[str] | None = None
) -> set[str]:
    """Every member at `at`; with `among`, those of these friends who are (a few indexed
    queries, however large the audience)."""
    if among is not None:
        ids, found = list(dict.fromkeys(among)), set()
        for start in range(0, len(ids), _AMONG):
            found |= await _members(session, audience, at, ids[start : start + _AMONG])
        return found
    return await _members(session, audience, at, None)


async def _members(
    session: AsyncSession, audience: Audience, at: datetime, among: list[str] | None
) -> set[str]:
    column, where = _rule(audience, at)
    properties = _wanted_properties(audience)
    if properties:
        if among is not None:
            where = [*where, col(Event.user_id).in_(among)]
        rows = await session.exec(select(Event.user_id, Event.properties).where(*where))
        return {user for user, found in rows if properties_match(properties, found or {})}
    if among is not None:
        where = [*where, column.in_(among)]
    return set(await session.exec(select(column).where(*where).distinct()))


async def size(session: AsyncSession, *, audience: Audience, at: datetime) -> int:
    """How many members at `at`."""
    if _wanted_properties(audience):
        return len(await member_ids(session, audience=audience, at=at))
    column, where = _rule(audience, at)
    return (await session.exec(select(func.count(distinct(column))).where(*where))).one()


async def with_size(session: AsyncSession, *, audience: Audience, at: datetime) -> dict:
    return {**audience.model_dump(), "size": await size(session, audience=audience, at=at)}


async def list_audiences(session: AsyncSession) -> list[Audience]:
    return list(await session.exec(select(Audience).order_by(col(Audience.created_at))))


async def list_with_sizes(session: AsyncSession, *, at: datetime) -> list[dict]:
    return [await with_size(session, audience=a, at=at) for a in await list_audiences(session)]
