"""Friends' LINE profiles (display name, picture, language), cached on the Friend row and
fetched again from LINE when older than `max_age`. Best effort: LINE failing never fails the
caller, who gets what is cached."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from line.client import LineProfile
from store import friends
from store.db import Database
from store.tables import Friend
from store.types import utcnow

log = logging.getLogger("stepline.profiles")
PROFILE_MAX_AGE = timedelta(hours=24)


class ProfileSource(Protocol):
    async def get_profile(self, user_id: str) -> LineProfile | None: ...


@dataclass(frozen=True)
class Fetched:
    """A profile LINE gave at `at`, not stored yet (see `store_profile`)."""

    profile: LineProfile
    at: datetime

    def fields(self) -> dict:
        """What the Friend row keeps of it (see store.friends.record_profile)."""
        return {
            "display_name": self.profile.display_name,
            "picture_url": self.profile.picture_url,
            "language": self.profile.language,
            "at": self.at,
        }


def is_fresh(cached: Friend | None, max_age: timedelta) -> bool:
    """Whether the cached row holds a profile no older than `max_age`."""
    return (
        cached is not None
        and cached.profile_at is not None
        and utcnow() - cached.profile_at < max_age
    )


async def fetch_profile(line: ProfileSource, user_id: str) -> Fetched | None:
    """Ask LINE, with no transaction open; None when LINE has nothing (404) or fails."""
    try:
        profile = await line.get_profile(user_id)
    except Exception as exc:  # LineError, or anything unexpected: keep what we have
        log.warning("profile of %s not refreshed: %s", user_id, exc)
        return None
    if profile is None:  # 404: not (or no longer) a friend; LINE has nothing to give
        return None
    return Fetched(profile, utcnow())


async def store_profile(
    session: AsyncSession, user_id: str, fetched: Fetched, *, commit: bool = True
) -> Friend:
    """Store a fetched profile; with `commit=False`, as part of the caller's transaction."""
    return await friends.record_profile(session, user_id=user_id, commit=commit, **fetched.fields())


async def refresh_profile(
    db: Database,
    line: ProfileSource,
    user_id: str,
    *,
    max_age: timedelta = PROFILE_MAX_AGE,
) -> Friend | None:
    """The friend with a profile no older than `max_age` if LINE gives one; else the friend as
    cached (None when there is no row and LINE has no profile either)."""
    async with db.reading() as session:
        cached = await friends.get_friend(session, user_id=user_id)
    if is_fresh(cached, max_age):
        return cached
    fetched = await fetch_profile(line, user_id)
    if fetched is None:
        return cached
    async with db.session() as session:
        return await store_profile(session, user_id, fetched)
