"""The emulator's state file: what one emulator knew, the next one started on the same file
knows (friends, chats, coupons, rich menus, a login code, the quota, retry keys); a bad file
starts clean with one warning; every write replaces the file whole. And readable names."""

import asyncio
import json
import logging
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from emulator.app import EmulatorConfig, create_app
from emulator.persist import Saver, write
from emulator.state import EmulatorState

from .conftest import SECRET, TOKEN, FakeClock, push, retry_key, text, user
from .test_emulator_coupons import coupon
from .test_emulator_login import log_in, query, token
from .test_emulator_richmenus import create as create_rich_menu


@asynccontextmanager
async def emulator(path: Path, clock: FakeClock, **config):
    """An emulator app on `path`, run with its lifespan (the shutdown writes the file)."""
    app = create_app(
        EmulatorConfig(access_token=TOKEN, channel_secret=SECRET, state_file=path, **config)
    )
    app.state.emulator.clock = clock
    headers = {"Authorization": f"Bearer {TOKEN}"}
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://e", headers=headers) as http,
    ):
        yield app.state.emulator, http


async def test_everything_survives_a_restart(tmp_path):
    path, clock = tmp_path / "emulator.json", FakeClock()
    key = retry_key()
    async with emulator(path, clock) as (state, http):
        for n, body in ((1, {"display_name": "Aoi"}), (2, {}), (3, {})):
            assert (await http.post(f"/emulator/users/{user(n)}/follow", json=body)).is_success
        await http.post(f"/emulator/users/{user(3)}/unfollow")
        assert (await push(http, user(1), [text("hi")], key)).status_code == 200
        await push(http, user(3), [text("blocked")])
        await http.post(f"/emulator/users/{user(1)}/message", json={"text": "クーポン"})
        coupon_id = (await http.post("/v2/bot/coupon", json=coupon())).json()["couponId"]
        menu = await create_rich_menu(http)
        assert (await http.post(f"/v2/bot/user/{user(1)}/richmenu/{menu}")).is_success
        code = query((await log_in(http, user_id=user(2)))["location"])["code"]
        await http.put("/emulator/quota", json={"monthly_quota": 500, "consumption": 7})
        names = {u.user_id: u.display_name for u in state.users.values()}
    assert path.exists() and not list(tmp_path.glob("*.tmp"))

    async with emulator(path, clock) as (state, http):
        users = (await http.get("/emulator/users")).json()
        assert [(u["user_id"], u["state"]) for u in users] == [
            (user(1), "friend"),
            (user(2), "friend"),
            (user(3), "blocked"),
        ]
        assert {u["user_id"]: u["display_name"] for u in users} == names
        assert names[user(1)] == "Aoi"
        messages = (await http.get("/emulator/messages")).json()
        assert [(m["to"], m["delivered"], m["reason"]) for m in messages] == [
            (user(1), True, None),
            (user(3), False, "blocked"),
        ]
        said = (await http.get("/emulator/friend-messages")).json()
        assert [(m["user_id"], m["text"]) for m in said] == [(user(1), "クーポン")]
        chat = (await http.get(f"/emulator/chat/{user(1)}")).text
        assert "hi" in chat and "クーポン" in chat
        detail = (await http.get(f"/v2/bot/coupon/{coupon_id}")).json()
        assert (detail["title"], detail["status"]) == ("10% off", "RUNNING")
        assert (await http.get(f"/v2/bot/user/{user(1)}/richmenu")).json() == {"richMenuId": menu}
        assert (await http.get(f"/v2/bot/richmenu/{menu}")).status_code == 200
        assert (await token(http, code)).status_code == 200  # the login code, once
        assert (await token(http, code)).json()["error"] == "invalid_grant"
        assert (await http.get("/emulator/quota")).json() == {
            "monthly_quota": 500,
            "consumption": 7,
        }
        again = await push(http, user(1), [text("hi")], key)  # LINE keeps a retry key 24 h
        assert again.status_code == 409
        assert state.calls["push"] == 3 and state.conflicts["push"] == 1


async def test_changes_are_written_soon_without_a_shutdown(tmp_path):
    path = tmp_path / "emulator.json"
    async with emulator(path, FakeClock()) as (state, http):
        await http.post(f"/emulator/users/{user(5)}/follow", json={})
        for _ in range(40):
            if path.exists():
                break
            await asyncio.sleep(0.1)
        saved = json.loads(path.read_text())
        assert [u["user_id"] for u in saved["users"]] == [user(5)]
        before = path.stat().st_mtime_ns
        await http.get("/emulator/chat")  # reading the chat view changes nothing: no write
        await asyncio.sleep(1.3)
        assert path.stat().st_mtime_ns == before


@pytest.mark.parametrize(
    "content",
    ['{"version": 1, "users": [{"user_id": "U1"', "[]", '{"version": 99}', "\x00\xff garbage"],
    ids=["cut short", "not an object", "another version", "garbage"],
)
async def test_a_bad_file_starts_clean_with_one_warning(tmp_path, caplog, content):
    path = tmp_path / "emulator.json"
    path.write_text(content, errors="surrogateescape")
    with caplog.at_level(logging.WARNING, logger="emulator"):
        async with emulator(path, FakeClock()) as (state, http):
            assert (await http.get("/emulator/users")).json() == []
            await http.post(f"/emulator/users/{user(6)}/follow", json={})
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and str(path) in warnings[0].getMessage()
    assert "clean state" in warnings[0].getMessage()
    assert [u["user_id"] for u in json.loads(path.read_text())["users"]] == [user(6)]


def test_a_failed_write_leaves_the_old_file_whole(tmp_path):
    path = tmp_path / "emulator.json"
    write(path, {"version": 1, "kept": True})
    with pytest.raises(TypeError):
        write(path, {"version": 1, "unwritable": object()})
    assert json.loads(path.read_text()) == {"version": 1, "kept": True}
    assert [p.name for p in tmp_path.iterdir()] == ["emulator.json"]


async def test_a_changed_monthly_quota_setting_wins_over_the_saved_one(tmp_path):
    path, clock = tmp_path / "emulator.json", FakeClock()
    async with emulator(path, clock, monthly_quota=100) as (_, http):
        await http.put("/emulator/quota", json={"monthly_quota": 50, "consumption": 3})
    async with emulator(path, clock, monthly_quota=100) as (_, http):
        assert (await http.get("/emulator/quota")).json()["monthly_quota"] == 50
    async with emulator(path, clock, monthly_quota=1000) as (_, http):
        assert (await http.get("/emulator/quota")).json() == {
            "monthly_quota": 1000,
            "consumption": 3,
        }


async def test_the_saver_writes_at_close_what_is_pending(tmp_path):
    state = EmulatorState(EmulatorConfig(access_token=None, channel_secret=SECRET))
    saver = Saver(state, tmp_path / "s.json", delay=60)
    state.follow(user(9))
    saver.touch()
    await saver.close()
    assert json.loads((tmp_path / "s.json").read_text())["users"][0]["user_id"] == user(9)


def test_two_hundred_new_friends_have_two_hundred_readable_names():
    state = EmulatorState(EmulatorConfig(access_token=None, channel_secret=SECRET))
    for n in range(200):
        state.follow(user(n + 1))
    names = [u.display_name for u in state.users.values()]
    assert len(set(names)) == 200
    assert all(name[0].isupper() and not name.startswith("User ") for name in names)
    again = EmulatorState(EmulatorConfig(access_token=None, channel_secret=SECRET))
    again.unfollow(user(42))  # first seen blocking: the same name for the same id
    assert again.users[user(42)].display_name == names[41].split(" ")[0]


def test_a_given_name_is_kept_even_when_another_friend_has_it():
    state = EmulatorState(EmulatorConfig(access_token=None, channel_secret=SECRET))
    state.follow(user(1), display_name="Aoi")
    state.follow(user(2), display_name="Aoi")
    assert [u.display_name for u in state.users.values()] == ["Aoi", "Aoi"]
