"""Friends: follow state from LINE's webhooks, and the profile LINE does not give us
(attributes, tags, add route)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.lookups import rows_by
from store.tables import Friend, FriendTag
from store.types import utcnow
from store.upsert import insert_ignore


@dataclass(frozen=True)
class FollowChange:
    friend: Friend
    applied: bool  # False: an older event than the state we hold (arrived out of order)


async def _locked_friend(session: AsyncSession, user_id: str) -> Friend:
    return (await _locked_friends(session, [user_id]))[user_id]


async def _locked_friends(session: AsyncSession, user_ids: list[str]) -> dict[str, Friend]:
    """These friends' rows (made where there are none), locked: two statements for them all."""
    ids = sorted(set(user_ids))
    await insert_ignore(
        session, Friend, [{"user_id": user_id, "attributes": {}} for user_id in ids]
    )
    return await rows_by(session, Friend, Friend.user_id, ids, lock=True)


async def record_follow(
    session: AsyncSession, *, user_id: str, timestamp_ms: int, at: datetime, commit: bool = True
) -> FollowChange:
    """A follow starts a new epoch unless the friend already follows; events older than the
    last follow/unfollow applied are stale and change nothing. With `commit=False` the change
    is part of the caller's transaction, which must commit it (stale or not: the row may be
    new)."""
    (change,) = await record_follows(session, [(user_id, timestamp_ms, at)])
    if commit:
        await session.commit()
    return change


async def record_follows(
    session: AsyncSession, follows: list[tuple[str, int, datetime]]
) -> list[FollowChange]:
    """`record_follow` for many (user ID, timestamp in ms, moment), in the caller's
    transaction, applied in their order: a batch of follows costs two statements, not two
    each (the rows' changes are written at the commit)."""
    rows = await _locked_friends(session, [user_id for user_id, _, _ in follows])
    changes: list[FollowChange] = []
    for user_id, timestamp_ms, at in follows:
        friend = rows[user_id]
        applied = timestamp_ms >= friend.state_at_ms
        if applied and not friend.following:
            friend.following = True
            friend.epoch += 1
            friend.followed_at = at
            friend.state_at_ms = timestamp_ms
            friend.updated_at = utcnow()
            session.add(friend)
        changes.append(FollowChange(friend, applied=applied))
    return changes


async def record_unfollow(
    session: AsyncSession, *, user_id: str, timestamp_ms: int, at: datetime, commit: bool = True
) -> FollowChange:
    """The friend blocked (or left) at `at`; stale events change nothing. `commit=False`: as
    for `record_follow`."""
    friend = await _locked_friend(session, user_id)
    applied = timestamp_ms >= friend.state_at_ms
    if applied:
        friend.following = False
        friend.blocked_at = at
        friend.state_at_ms = timestamp_ms
        friend.updated_at = utcnow()
        session.add(friend)
    if commit:
        await session.commit()
    return FollowChange(friend, applied=applied)


async def search(session: AsyncSession, text: str = "", *, limit: int = 50) -> list[Friend]:
    """Recent friends, or those whose user ID starts with `text` or whose name contains it."""
    statement = select(Friend)
    if text:
        statement = statement.where(
            or_(
                col(Friend.user_id).startswith(text, autoescape=True),
                col(Friend.display_name).icontains(text, autoescape=True),
            )
        )
    recent = func.coalesce(col(Friend.followed_at), col(Friend.created_at))
    statement = statement.order_by(recent.desc(), col(Friend.user_id)).limit(limit)
    return list(await session.exec(statement))


async def get_friend(session: AsyncSession, *, user_id: str) -> Friend | None:
    return await session.get(Friend, user_id)


async def get_friends(session: AsyncSession, user_ids: list[str]) -> dict[str, Friend]:
    """The rows of these friends that have one, one statement for them all."""
    return await rows_by(session, Friend, Friend.user_id, user_ids)


async def ensure_friend(session: AsyncSession, *, user_id: str) -> Friend:
    """The friend row, created (not following) when the admin API speaks of a friend first."""
    friend = await _locked_friend(session, user_id)
    await session.commit()
    return friend


async def merge_attributes(
    session: AsyncSession, *, user_id: str, attributes: dict, commit: bool = True
) -> Friend:
    """`None` removes an attribute. `commit=False`: the caller's transaction commits it."""
    friend = await _locked_friend(session, user_id)
    merged = {**friend.attributes, **attributes}
    friend.attributes = {key: value for key, value in merged.items() if value is not None}
    friend.updated_at = utcnow()
    session.add(friend)
    if commit:
        await session.commit()
    return friend


async def set_route(
    session: AsyncSession, *, user_id: str, route: str, commit: bool = True
) -> Friend:
    friend = await _locked_friend(session, user_id)
    friend.route = route
    friend.updated_at = utcnow()
    session.add(friend)
    if commit:
        await session.commit()
    return friend


async def record_profile(
    session: AsyncSession,
    *,
    user_id: str,
    display_name: str | None,
    picture_url: str | None,
    language: str | None,
    at: datetime,
    commit: bool = True,
) -> Friend:
    """The LINE profile as fetched at `at` (get profile API); follow state is left alone.
    `commit=False`: part of the caller's transaction, which commits it."""
    friend = await _locked_friend(session, user_id)
    set_profile(
        session,
        friend,
        display_name=display_name,
        picture_url=picture_url,
        language=language,
        at=at,
    )
    if commit:
        await session.commit()
    return friend


def set_profile(
    session: AsyncSession,
    friend: Friend,
    *,
    display_name: str | None,
    picture_url: str | None,
    language: str | None,
    at: datetime,
) -> Friend:
    """`record_profile` on a friend row the session holds already (locked, e.g. by
    `record_follow`): no statement of its own; the caller's commit stores it."""
    friend.display_name = display_name
    friend.picture_url = picture_url
    friend.language = language
    friend.profile_at = at
    friend.updated_at = utcnow()
    session.add(friend)
    return friend


async def tags_of(session: AsyncSession, *, user_id: str) -> list[str]:
    statement = (
        select(FriendTag.tag).where(FriendTag.user_id == user_id).order_by(col(FriendTag.tag))
    )
    return list(await session.exec(statement))


async def add_tags(
    session: AsyncSession, *, user_id: str, tags: list[str], commit: bool = True
) -> None:
    await _locked_friend(session, user_id)
    await insert_ignore(session, FriendTag, [{"user_id": user_id, "tag": tag} for tag in tags])
    if commit:
        await session.commit()


async def remove_tag(session: AsyncSession, *, user_id: str, tag: str, commit: bool = True) -> bool:
    result = await session.exec(
        delete(FriendTag).where(col(FriendTag.user_id) == user_id, col(FriendTag.tag) == tag)
    )
    if commit:
        await session.commit()
    return result.rowcount > 0
