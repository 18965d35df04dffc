"""A friend's profile and the changes the admin API (and route links, tracked links) make to
it: each change is stored with what it calls for (triggers/record.py: exits, wait_fors,
audience and route-limited triggers react) in one transaction."""

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import NotFound
from store import enrollments, friends
from triggers import record


async def profile(session: AsyncSession, user_id: str, *, limit: int = 1000) -> dict[str, Any]:
    """The friend's row, tags and (up to `limit`) enrollments, newest first."""
    friend = await friends.get_friend(session, user_id=user_id)
    if friend is None:
        raise NotFound(f"no friend {user_id}")
    return {
        **friend.model_dump(),
        "tags": await friends.tags_of(session, user_id=user_id),
        "enrollments": await enrollments.list_enrollments(session, user_id=user_id, limit=limit),
    }


async def changed(session: AsyncSession, user_ids: list[str], *, reason: str) -> None:
    """What the session changed about these friends, committed with its record for the
    dispatcher (which looks at their enrollments and triggers again)."""
    record.friends_changed(session, user_ids, reason=reason)
    await session.commit()


async def merge_attributes(session: AsyncSession, user_id: str, attributes: dict) -> None:
    """Attributes merged into the friend's; `None` removes one."""
    await friends.merge_attributes(session, user_id=user_id, attributes=attributes, commit=False)
    await changed(session, [user_id], reason="attributes")


async def add_tags(session: AsyncSession, user_id: str, tags: list[str]) -> None:
    await friends.add_tags(session, user_id=user_id, tags=tags, commit=False)
    await changed(session, [user_id], reason="tags")


async def remove_tag(session: AsyncSession, user_id: str, tag: str) -> None:
    if not await friends.remove_tag(session, user_id=user_id, tag=tag, commit=False):
        raise NotFound(f"{user_id} has no tag {tag!r}")
    await changed(session, [user_id], reason="tags")


async def set_route(session: AsyncSession, user_id: str, route: str) -> None:
    """The add route (追加経路), before or after the follow."""
    await friends.set_route(session, user_id=user_id, route=route, commit=False)
    await changed(session, [user_id], reason="route")
