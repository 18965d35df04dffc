"""A follow's rows in the caller's transaction (triggers/friendship.py writes the follow, the profile
and the enrollments in one): `commit=False` leaves the commit, or the rollback, to the caller."""

from datetime import UTC, datetime

from store import friends
from tests.support.stack import user

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


async def test_record_follow_and_profile_without_committing(db):
    friend = user(1)
    async with db.session() as s:
        change = await friends.record_follow(
            s, user_id=friend, timestamp_ms=1000, at=NOW, commit=False
        )
        friends.set_profile(
            s, change.friend, display_name="Mio", picture_url=None, language="ja", at=NOW
        )
        # no commit: the session ends in a rollback
    async with db.reading() as s:
        assert await friends.get_friend(s, user_id=friend) is None

    async with db.session() as s:
        change = await friends.record_follow(
            s, user_id=friend, timestamp_ms=1000, at=NOW, commit=False
        )
        friends.set_profile(
            s, change.friend, display_name="Mio", picture_url=None, language="ja", at=NOW
        )
        assert s.in_transaction()
        await s.commit()
    async with db.reading() as s:
        row = await friends.get_friend(s, user_id=friend)
    assert (change.applied, row.following, row.epoch) == (True, True, 1)
    assert (row.display_name, row.language, row.profile_at is not None) == ("Mio", "ja", True)

    async with db.session() as s:
        stale = await friends.record_unfollow(
            s, user_id=friend, timestamp_ms=900, at=NOW, commit=False
        )
        blocked = await friends.record_unfollow(
            s, user_id=friend, timestamp_ms=2000, at=NOW, commit=False
        )
        await s.commit()
    assert stale.applied is False and blocked.applied is True
    async with db.reading() as s:
        row = await friends.get_friend(s, user_id=friend)
    assert (row.following, row.state_at_ms) == (False, 2000)


async def test_a_stale_follow_without_committing_still_leaves_the_row_to_commit(db):
    friend = user(2)
    async with db.session() as s:
        await friends.record_unfollow(s, user_id=friend, timestamp_ms=2000, at=NOW)
    async with db.session() as s:
        stale = await friends.record_follow(
            s, user_id=friend, timestamp_ms=1000, at=NOW, commit=False
        )
        await s.commit()
    assert (stale.applied, stale.friend.following, stale.friend.epoch) == (False, False, 0)
