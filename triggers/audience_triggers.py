"""Audience-triggered scenarios: a friend who enters the audience is enrolled. Who was inside
when last looked at is kept (TriggerMembership), so that entering is a change from outside
to inside, and the snapshot taken at activation counts everyone inside then as inside
already ("from now on")."""

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from scenarios.trigger import AudienceTrigger
from store import audiences, scenarios
from store.definitions import Definitions
from store.tables import Audience, Friend, Scenario, TriggerMembership
from store.types import utcnow
from store.upsert import upsert
from triggers.enrol import Enroller, record_admission

_KEYS = ["scenario_id", "user_id"]


async def snapshot(session: AsyncSession, scenario: Scenario, audience_id: str) -> int:
    """The scenario is activated: remember who is inside now (no commit); how many."""
    await session.exec(
        delete(TriggerMembership).where(col(TriggerMembership.scenario_id) == scenario.id)
    )
    audience = await session.get(Audience, audience_id)
    inside = await audiences.member_ids(session, audience=audience, at=utcnow()) if audience else []
    rows = [{"scenario_id": scenario.id, "user_id": u, "inside": True} for u in inside]
    for start in range(0, len(rows), 1000):
        await upsert(session, TriggerMembership, rows[start : start + 1000], keys=_KEYS)
    return len(rows)


async def enter(
    session: AsyncSession, definitions: Definitions, enroller: Enroller, ids: list[str]
) -> int:
    """Enrol those of `ids` who have entered the audience of an audience-triggered scenario
    since last looked at (in the caller's transaction, with the commands that start them);
    how many were admitted."""
    candidates = await scenarios.enrolling_on(session, trigger_type="audience")
    if not candidates:
        return 0
    entering: list[tuple[Scenario, str]] = []
    for scenario in candidates:
        trigger = (await definitions.get(scenario.id, scenario.version, session=session)).trigger
        if not isinstance(trigger, AudienceTrigger):
            continue
        audience = await session.get(Audience, trigger.audience)
        if audience is not None:
            new = await _entered(session, scenario, audience, ids)
            entering.extend((scenario, user_id) for user_id in new)
    if not entering:
        return 0
    friends = {
        friend.user_id: friend
        for friend in await session.exec(
            select(Friend).where(col(Friend.user_id).in_({u for _, u in entering}))
        )
    }
    admitted = 0
    for scenario, user_id in entering:
        friend = friends.get(user_id)
        if friend is None:
            continue
        admission = await enroller.admit(session, scenario, friend, cause="audience")
        if admission is not None:
            record_admission(session, admission)
            admitted += 1
    return admitted


async def _entered(
    session: AsyncSession, scenario: Scenario, audience: Audience, ids: list[str]
) -> list[str]:
    """Who of `ids` is inside now but was not when last looked at (and remember it)."""
    now = utcnow()
    members = await audiences.member_ids(session, audience=audience, at=now, among=ids)
    inside = {user_id: user_id in members for user_id in ids}
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
    await upsert(session, TriggerMembership, changes, keys=_KEYS)
    return [change["user_id"] for change in changes if change["inside"]]
