"""Audiences as the admin API and the dashboard ask for them (docs/CONTRACT.md §5): create one
of the six kinds (its scenario and step checked against the store), list and read them with
their size now, and add members to an upload audience — each change written with what it
means for its friends' journeys (triggers/record.py) in the same transaction."""

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.audience_kinds import AudienceBody
from app.errors import Conflict, NotFound, invalid
from store import audiences, scenarios
from store.db import Database
from store.pipeline_tables import Operation
from store.tables import Audience
from store.types import utcnow
from triggers import record

CHUNK = 5000  # members added a transaction when a file is uploaded: no writer waits long


async def check_references(session: AsyncSession, body: AudienceBody) -> None:
    """The scenario and the message step a clicked or delivered audience names exist."""
    scenario_id, step = getattr(body, "scenario", None), getattr(body, "step", None)
    if scenario_id is None:
        return
    if await scenarios.get_scenario(session, scenario_id=scenario_id) is None:
        raise invalid("scenario", f"unknown scenario {scenario_id!r}", "unknown_scenario")
    if step is not None and step not in await audiences.message_step_ids(
        session, scenario_id=scenario_id
    ):
        raise invalid(
            "step", f"scenario {scenario_id!r} has no message step {step!r}", "unknown_step"
        )


async def create(session: AsyncSession, body: AudienceBody) -> tuple[Audience, Operation | None]:
    """The audience (committed), and the operation that follows what its members (an upload
    audience's `user_ids`) mean for journeys."""
    await check_references(session, body)
    user_ids = list(dict.fromkeys(getattr(body, "user_ids", [])))
    # its members' journeys may change (exits, audience triggers): in the same transaction
    operation = record.bulk_change(session, user_ids, reason="audience") if user_ids else None
    audience = await audiences.create_audience(
        session, name=body.name, kind=body.kind, params=body.params(), user_ids=user_ids
    )  # commits
    return audience, operation


async def listed(session: AsyncSession) -> list[dict[str, Any]]:
    """Every audience with its size now, oldest first."""
    return await audiences.list_with_sizes(session, at=utcnow())


async def read(session: AsyncSession, audience_id: str) -> dict[str, Any]:
    """One audience with its size now."""
    return await audiences.with_size(
        session, audience=await _audience(session, audience_id), at=utcnow()
    )


async def _audience(session: AsyncSession, audience_id: str) -> Audience:
    audience = await audiences.get_audience(session, audience_id=audience_id)
    if audience is None:
        raise NotFound(f"no audience {audience_id!r}")
    return audience


async def _upload(session: AsyncSession, audience_id: str) -> Audience:
    audience = await _audience(session, audience_id)
    if audience.kind != "upload":
        raise Conflict("only upload audiences take members")
    return audience


async def add_members(
    session: AsyncSession,
    audience_id: str,
    user_ids: list[str],
    *,
    operation: Operation | None = None,
) -> tuple[Audience, Operation]:
    """User IDs added to an upload audience (present ones kept once), committed with the
    operation (a new one, or the given one of which they are a further part) that works out
    what they mean for journeys in the background."""
    audience = await _upload(session, audience_id)
    user_ids = list(dict.fromkeys(user_ids))
    operation = record.bulk_change(session, user_ids, reason="audience", operation=operation)
    await audiences.add_members(session, audience_id=audience_id, user_ids=user_ids)  # commits
    return audience, operation


async def add_members_in_chunks(
    db: Database, audience_id: str, user_ids: list[str]
) -> Operation | None:
    """A large list (a file of 100,000 user IDs) added CHUNK members a transaction, so that
    LINE's webhooks and other writers wait for one chunk at most; one operation follows them
    all. Adding is idempotent: should the process stop midway, uploading again finishes it."""
    unique = list(dict.fromkeys(user_ids))
    async with db.session() as session:
        await _upload(session, audience_id)  # NotFound, Conflict before anything is written
    operation: Operation | None = None
    for start in range(0, len(unique), CHUNK):
        chunk = unique[start : start + CHUNK]
        async with db.session() as session:
            opened = operation is None
            operation = record.bulk_change(session, chunk, reason="audience", operation=operation)
            if opened:
                operation.total = len(unique)  # every member of the file, not the first chunk
            await audiences.add_members(session, audience_id=audience_id, user_ids=chunk)
    return operation
