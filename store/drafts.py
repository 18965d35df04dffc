"""Studio drafts: a scenario document being composed or edited in the dashboard, kept as it is
typed (valid or not) until it is saved as a scenario or a new version of one. A draft of an
existing scenario names it and the version it started from."""

import secrets
from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel, col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.columns import json_column, now
from store.types import utcnow

ID_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"


class StudioDraft(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    scenario_id: str | None = Field(default=None, max_length=64, index=True)
    base_version: int | None = None  # the scenario's version it was opened from
    document: dict[str, Any] = json_column()
    created_at: datetime = now()
    updated_at: datetime = now()


async def create(
    session: AsyncSession,
    document: dict[str, Any],
    *,
    scenario_id: str | None = None,
    base_version: int | None = None,
) -> StudioDraft:
    draft = StudioDraft(
        id=secrets.token_urlsafe(16),
        scenario_id=scenario_id,
        base_version=base_version,
        document=document,
    )
    session.add(draft)
    await session.commit()
    return draft


async def get(session: AsyncSession, draft_id: str) -> StudioDraft | None:
    return await session.get(StudioDraft, draft_id)


async def save(session: AsyncSession, draft: StudioDraft, document: dict[str, Any]) -> None:
    draft.document = document
    draft.updated_at = utcnow()
    session.add(draft)
    await session.commit()


async def discard(session: AsyncSession, draft_id: str) -> None:
    await session.exec(delete(StudioDraft).where(col(StudioDraft.id) == draft_id))
    await session.commit()


async def open_ones(
    session: AsyncSession, scenario_id: str | None, *, limit: int = 20
) -> list[StudioDraft]:
    """The newest drafts of a scenario, or (None) of scenarios not saved yet."""
    where = (
        col(StudioDraft.scenario_id).is_(None)
        if scenario_id is None
        else col(StudioDraft.scenario_id) == scenario_id
    )
    statement = select(StudioDraft).where(where).order_by(col(StudioDraft.updated_at).desc())
    return list(await session.exec(statement.limit(limit)))
