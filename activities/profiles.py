"""Friends' LINE profiles (display name, picture, language), cached on the Friend row and
fetched again from LINE when older than `max_age`. Best effort: LINE failing never fails the
caller, who gets what is cached."""

import logging
from datetime import timedelta
from typing import Protocol

from activities.line_client import LineProfile
from store import friends
from store.db import Database
from store.tables import Friend
from store.types import utcnow

log = logging.getLogger("stepline.profiles")
PROFILE_MAX_AGE = timedelta(hours=24)


class ProfileSource(Protocol):
    async def get_profile(self, user_id: str) -> LineProfile | None: ...


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
    if cached is not None and cached.profile_at is not None:
        if utcnow() - cached.profile_at < max_age:
            return cached
    try:
        profile = await line.get_profile(user_id)
    except Exception as exc:  # LineError, or anything unexpected: keep what we have
        log.warning("profile of %s not refreshed: %s", user_id, exc)
        return cached
    if profile is None:  # 404: not (or no longer) a friend; LINE has nothing to give
        return cached
    async with db.session() as session:
        return await friends.record_profile(
            session,
            user_id=user_id,
            display_name=profile.display_name,
            picture_url=profile.picture_url,
            language=profile.language,
            at=utcnow(),
        )
