"""Route links (`GET /join/{route}`): one JoinRequest per LINE Login attempt, keyed by its
`state`, until LINE sends the friend back and the route is recorded on the friend."""

import secrets
from datetime import datetime, timedelta

from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from store import friends
from store.tables import Audience, Friend, JoinRequest, Scenario, ScenarioVersion
from store.types import utcnow

JOIN_LIFETIME = timedelta(minutes=10)  # as long as LINE's authorization code lives
ABANDONED_AFTER = timedelta(days=1)  # unfinished requests older than this are deleted


async def route_known(session: AsyncSession, *, route: str) -> bool:
    """Whether a route link is one the operator handed out: a route named by the follow
    trigger of a scenario not ended (its current version), or by a route audience. Anything
    else is a 404 that writes nothing."""
    audiences = await session.exec(select(Audience.params).where(Audience.kind == "route"))
    if any((params or {}).get("route") == route for params in audiences):
        return True
    current = await session.exec(
        select(ScenarioVersion.definition)
        .join(
            Scenario,
            (col(Scenario.id) == col(ScenarioVersion.scenario_id))
            & (col(Scenario.version) == col(ScenarioVersion.version)),
        )
        .where(Scenario.trigger_type == "follow", Scenario.status != "ended")
    )
    return any(
        route in ((definition.get("trigger") or {}).get("routes") or []) for definition in current
    )


async def start(session: AsyncSession, *, route: str, at: datetime | None = None) -> JoinRequest:
    """A new request for `route` with a fresh state and nonce; prunes long-abandoned ones."""
    now = at or utcnow()
    await session.exec(
        delete(JoinRequest).where(
            col(JoinRequest.completed_at).is_(None),
            col(JoinRequest.created_at) < now - ABANDONED_AFTER,
        )
    )
    request = JoinRequest(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        route=route,
        created_at=now,
    )
    session.add(request)
    await session.commit()
    return request


async def pending(
    session: AsyncSession, *, state: str, at: datetime | None = None
) -> JoinRequest | None:
    """The request this state names, if it is unused and younger than JOIN_LIFETIME."""
    request = await session.get(JoinRequest, state)
    if request is None or request.completed_at is not None:
        return None
    if (at or utcnow()) - request.created_at >= JOIN_LIFETIME:
        return None
    return request


async def complete(
    session: AsyncSession,
    *,
    state: str,
    user_id: str,
    at: datetime | None = None,
    commit: bool = True,
) -> Friend | None:
    """Claim the request for `user_id` and set the friend's route, in one transaction
    (`commit=False`: the caller commits it); None when the request was used (or expired) in
    the meantime, and then nothing changes."""
    now = at or utcnow()
    claimed = await session.exec(
        update(JoinRequest)
        .where(
            col(JoinRequest.state) == state,
            col(JoinRequest.completed_at).is_(None),
            col(JoinRequest.created_at) > now - JOIN_LIFETIME,
        )
        .values(user_id=user_id, completed_at=now)
    )
    if claimed.rowcount != 1:
        await session.rollback()
        return None
    request = await session.get(JoinRequest, state)
    assert request is not None
    return await friends.set_route(session, user_id=user_id, route=request.route, commit=commit)
