"""Audiences and their members."""

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.ids import new_id
from store.tables import Audience, AudienceMember
from store.upsert import insert_ignore

_BATCH = 5000


async def create_upload(session: AsyncSession, *, name: str, user_ids: list[str]) -> Audience:
    audience = Audience(id=new_id("aud"), name=name, kind="upload", params={})
    session.add(audience)
    await session.flush()
    await _insert_members(session, audience.id, user_ids)
    await session.commit()
    return audience


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


async def with_size(session: AsyncSession, *, audience: Audience) -> dict:
    size = (
        await session.exec(
            select(func.count())
            .select_from(AudienceMember)
            .where(AudienceMember.audience_id == audience.id)
        )
    ).one()
    return {**audience.model_dump(), "size": size}


async def list_with_sizes(session: AsyncSession) -> list[dict]:
    sizes = dict(
        (
            await session.exec(
                select(AudienceMember.audience_id, func.count()).group_by(
                    AudienceMember.audience_id
                )
            )
        ).all()
    )
    audiences = await session.exec(select(Audience).order_by(col(Audience.created_at)))
    return [{**a.model_dump(), "size": sizes.get(a.id, 0)} for a in audiences]
