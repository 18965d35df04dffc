"""The channel's delivery policy, stored as one row."""

from sqlmodel.ext.asyncio.session import AsyncSession

from scenarios.policy import ChannelPolicy
from store.tables import ChannelSettings
from store.types import utcnow
from store.upsert import upsert


async def get_policy(session: AsyncSession) -> ChannelPolicy:
    row = await session.get(ChannelSettings, 1)
    return ChannelPolicy.model_validate(row.policy) if row else ChannelPolicy()


async def set_policy(session: AsyncSession, *, policy: ChannelPolicy) -> ChannelPolicy:
    await upsert(
        session,
        ChannelSettings,
        [{"id": 1, "policy": policy.model_dump(mode="json"), "updated_at": utcnow()}],
        keys=["id"],
    )
    await session.commit()
    return policy
