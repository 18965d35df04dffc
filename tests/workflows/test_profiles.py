"""LINE profiles: LinePusher.get_profile against the emulator, and refresh_profile's cache on
the Friend row (display name, picture, language)."""

from datetime import timedelta

import pytest

from core.config import Settings
from core.serve import serving
from emulator.app import EmulatorConfig
from emulator.app import create_app as create_emulator
from emulator.state import EmulatorState
from line.client import LineProfile, LinePusher, LineUnavailable
from line.profiles import refresh_profile
from store import friends
from store.db import Database
from store.types import utcnow
from tests.support.stack import ACCESS_TOKEN, CHANNEL_SECRET, user


@pytest.fixture
async def emulator():
    app = create_emulator(EmulatorConfig(access_token=ACCESS_TOKEN, channel_secret=CHANNEL_SECRET))
    async with serving(app) as url:
        yield url, app.state.emulator


def pusher(url: str, token: str = ACCESS_TOKEN) -> LinePusher:
    settings = Settings(line_api_base_url=url, line_channel_access_token=token, _env_file=None)
    return LinePusher.from_settings(settings, timeout=5)


@pytest.fixture
async def line(emulator):
    client = pusher(emulator[0])
    yield client
    await client.close()


@pytest.fixture
async def db(sqlite_url):
    database = Database(sqlite_url)
    await database.migrate()
    yield database
    await database.close()


async def test_get_profile_found_and_not_found(emulator, line):
    state: EmulatorState = emulator[1]
    state.follow(user(1), display_name="Sato", language="ja", picture_url="https://p.example/1")
    assert await line.get_profile(user(1)) == LineProfile(
        user_id=user(1),
        display_name="Sato",
        picture_url="https://p.example/1",
        status_message=None,
        language="ja",
    )
    assert await line.get_profile(user(2)) is None  # never a friend: 404
    state.unfollow(user(1))
    assert await line.get_profile(user(1)) is None  # blocked: 404
    assert state.calls["profile"] == 3


async def test_get_profile_errors_are_classified(emulator):
    wrong = pusher(emulator[0], token="wrong-token")
    try:
        with pytest.raises(LineUnavailable) as caught:  # 401, like a push
            await wrong.get_profile(user(1))
        assert caught.value.status == 401
    finally:
        await wrong.close()


async def test_refresh_profile_caches_for_max_age(emulator, line, db):
    state: EmulatorState = emulator[1]
    state.follow(user(1), display_name="Sato", language="ja")
    async with db.session() as session:
        await friends.record_follow(session, user_id=user(1), timestamp_ms=1, at=utcnow())

    friend = await refresh_profile(db, line, user(1))
    assert (friend.display_name, friend.language, friend.picture_url) == ("Sato", "ja", None)
    assert friend.following and friend.epoch == 1  # follow state untouched
    first_at = friend.profile_at
    assert first_at is not None and state.calls["profile"] == 1

    state.follow(user(1), display_name="Sato Hanako", language="en")
    cached = await refresh_profile(db, line, user(1))  # fresh: LINE is not asked
    assert cached.display_name == "Sato" and state.calls["profile"] == 1

    renewed = await refresh_profile(db, line, user(1), max_age=timedelta(0))
    assert (renewed.display_name, renewed.language) == ("Sato Hanako", "en")
    assert renewed.profile_at > first_at and state.calls["profile"] == 2
    async with db.session() as session:
        stored = await friends.get_friend(session, user_id=user(1))
    assert (stored.display_name, stored.language, stored.following) == ("Sato Hanako", "en", True)


async def test_refresh_profile_creates_the_row_without_following(emulator, line, db):
    emulator[1].follow(user(2), display_name="Ito", language="th")
    friend = await refresh_profile(db, line, user(2))
    assert (friend.display_name, friend.language) == ("Ito", "th")
    assert not friend.following and friend.epoch == 0 and friend.route == "unknown"


async def test_refresh_profile_is_best_effort(emulator, db):
    state: EmulatorState = emulator[1]
    state.follow(user(3), display_name="Kato", language="ja")
    async with db.session() as session:
        await friends.record_profile(
            session,
            user_id=user(3),
            display_name="Kato (old)",
            picture_url=None,
            language="ja",
            at=utcnow() - timedelta(days=2),
        )
    broken = pusher(emulator[0], token="wrong-token")
    try:
        stale = await refresh_profile(db, broken, user(3))  # LINE refuses: what is cached
        assert stale.display_name == "Kato (old)"
        assert await refresh_profile(db, broken, user(4)) is None  # nothing cached, no raise
    finally:
        await broken.close()

    unreachable = pusher("http://127.0.0.1:9")
    try:
        assert (await refresh_profile(db, unreachable, user(3))).display_name == "Kato (old)"
    finally:
        await unreachable.close()


async def test_refresh_profile_of_someone_who_is_not_a_friend(emulator, line, db):
    assert await refresh_profile(db, line, user(5)) is None  # 404, no row: None, no row made
    async with db.session() as session:
        assert await friends.get_friend(session, user_id=user(5)) is None
