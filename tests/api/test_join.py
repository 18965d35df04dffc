"""Route links: GET /join/{route} → LINE Login (emulated) with bot_prompt=aggressive → the
user logs in and adds the account → GET /join/callback records the route on the friend."""

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from core.config import Settings
from core.serve import free_port, serving
from emulator.app import EmulatorConfig
from emulator.app import create_app as create_emulator
from emulator.state import EmulatorState
from store.db import Database
from store.tables import Audience, Friend, JoinRequest
from store.types import utcnow
from tests.support.pipeline import Recorded, record_changes, settled
from tests.support.stack import ACCESS_TOKEN, ADMIN_TOKEN, CHANNEL_SECRET, user

LOGIN_ID = "2000000042"
LOGIN_SECRET = "test-login-channel-secret"
FRIEND_URL = "https://line.me/R/ti/p/@stepline-test"
ROUTES = ("qr_shop", "flyer.2026", "a", "A-Z_0.9", "r" * 100)  # route audiences name them


@dataclass
class JoinStack:
    api_url: str
    emulator_url: str
    app: FastAPI
    emulator: EmulatorState
    http: httpx.AsyncClient  # no base URL, no redirects followed, no auth
    changes: Recorded

    @property
    def db(self) -> Database:
        return self.app.state.services.db

    async def open_link(self, route: str = "qr_shop") -> dict[str, str]:
        """GET /join/{route}: the authorize query LINE Login was sent."""
        answer = await self.http.get(f"{self.api_url}/join/{route}")
        assert answer.status_code == 302, answer.text
        return dict(parse_qsl(urlsplit(answer.headers["location"]).query))

    async def log_in(self, params: dict[str, str], user_id: str, **extra: Any) -> str:
        """The user logs in on the emulator's page; the callback URL LINE sends them to."""
        body = params | {"user_id": user_id, "add_friend": True} | extra
        answer = await self.http.post(f"{self.emulator_url}/emulator/login", json=body)
        assert answer.status_code == 200, answer.text
        await settled(self.db)  # the follow webhook, if one was sent
        return answer.json()["location"]

    async def friend(self, user_id: str) -> Friend | None:
        async with self.db.session() as session:
            return await session.get(Friend, user_id)

    async def join_request(self, state: str) -> JoinRequest | None:
        async with self.db.session() as session:
            return await session.get(JoinRequest, state)


def join_settings(*, database_url: str, line_api: str, public_url: str, **overrides) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "line_api_base_url": line_api,
        "line_channel_access_token": ACCESS_TOKEN,
        "line_channel_secret": CHANNEL_SECRET,
        "admin_token": ADMIN_TOKEN,
        "task_queue": f"stepline-test-{uuid.uuid4().hex[:8]}",
        "public_url": public_url,
        "line_login_channel_id": LOGIN_ID,
        "line_login_channel_secret": LOGIN_SECRET,
        "line_login_base_url": line_api,
        "friend_url": FRIEND_URL,
    }
    values.update(overrides)
    return Settings(**values, _env_file=None)


@pytest.fixture
def join_stack(ts_env, tmp_path, monkeypatch) -> Callable[..., Any]:
    """`async with join_stack(**settings overrides) as s`: API + emulator, LINE Login wired."""

    @asynccontextmanager
    async def build(**overrides: Any) -> AsyncIterator[JoinStack]:
        async with AsyncExitStack() as stack:
            emulator_app = create_emulator(
                EmulatorConfig(
                    access_token=ACCESS_TOKEN,
                    channel_secret=CHANNEL_SECRET,
                    login_channel_id=LOGIN_ID,
                    login_channel_secret=LOGIN_SECRET,
                )
            )
            emulator_url = await stack.enter_async_context(serving(emulator_app))
            port = free_port()
            settings = join_settings(
                database_url=f"sqlite:///{tmp_path}/stepline-{uuid.uuid4().hex[:6]}.db",
                line_api=emulator_url,
                public_url=f"http://127.0.0.1:{port}",
                **overrides,
            )
            app = create_app(settings, temporal=ts_env.client)
            api_url = await stack.enter_async_context(serving(app, port=port))
            async with app.state.services.db.session() as session:  # the links handed out
                session.add_all(
                    Audience(id=f"aud_{n}", name=route, kind="route", params={"route": route})
                    for n, route in enumerate(ROUTES)
                )
                await session.commit()
            emulator_app.state.emulator.config.webhook_url = f"{api_url}/webhooks/line"
            http = await stack.enter_async_context(httpx.AsyncClient(timeout=30))
            changes = record_changes(monkeypatch)
            running = JoinStack(
                api_url, emulator_url, app, emulator_app.state.emulator, http, changes
            )
            yield running

    return build


async def test_route_link_through_line_login_records_the_route(join_stack):
    async with join_stack() as s:
        answer = await s.http.get(f"{s.api_url}/join/qr_shop")
        assert answer.status_code == 302
        location = answer.headers["location"]
        base, _, raw_query = location.partition("?")
        assert base == f"{s.emulator_url}/oauth2/v2.1/authorize"
        params = parse_qsl(raw_query)
        state, nonce = dict(params)["state"], dict(params)["nonce"]
        assert params == [
            ("response_type", "code"),
            ("client_id", LOGIN_ID),
            ("redirect_uri", f"{s.api_url}/join/callback"),
            ("state", state),
            ("scope", "openid profile"),
            ("nonce", nonce),
            ("bot_prompt", "aggressive"),
        ]
        assert "&scope=openid%20profile&" in raw_query
        assert len(state) >= 43 and len(nonce) >= 43 and state != nonce
        pending = await s.join_request(state)
        assert (pending.route, pending.nonce, pending.user_id) == ("qr_shop", nonce, None)

        page = await s.http.get(location)  # the emulator's login page
        assert page.status_code == 200 and 'action="/emulator/login"' in page.text

        callback = await s.log_in(dict(params), user(1), language="ja")
        assert callback.startswith(f"{s.api_url}/join/callback?code=")
        assert parse_qs(urlsplit(callback).query)["friendship_status_changed"] == ["true"]
        friend = await s.friend(user(1))
        assert friend.following and friend.route == "unknown"  # the follow came first

        done = await s.http.get(callback)
        assert done.status_code == 302
        assert done.headers["location"] == FRIEND_URL
        friend = await s.friend(user(1))
        assert friend.route == "qr_shop" and friend.following
        used = await s.join_request(state)
        assert used.user_id == user(1) and used.completed_at is not None
        assert s.changes.calls == [([user(1)], "route")]
        assert (s.emulator.calls["token"], s.emulator.calls["verify"]) == (1, 1)

        again = await s.http.get(callback)  # the same callback once more: nothing changes
        assert again.status_code == 400
        assert "expired" in again.text and "open the route link again" in again.text
        assert await s.join_request(state) == used
        assert s.changes.calls == [([user(1)], "route")]
        assert s.emulator.calls["token"] == 1


async def test_without_friend_url_a_thank_you_page(join_stack):
    async with join_stack(friend_url=None) as s:
        callback = await s.log_in(await s.open_link("flyer.2026"), user(2), add_friend=False)
        assert parse_qs(urlsplit(callback).query)["friendship_status_changed"] == ["false"]
        done = await s.http.get(callback)
        assert done.status_code == 200 and "you are connected" in done.text
        friend = await s.friend(user(2))
        assert friend.route == "flyer.2026" and not friend.following  # route kept for later


async def test_unknown_expired_and_malformed_states_are_400(join_stack):
    async with join_stack() as s:
        params = await s.open_link()
        callback = await s.log_in(params, user(3))
        code = parse_qs(urlsplit(callback).query)["code"][0]

        for state in ["unknown-state", "", "a" * 65, "bad\x00state", "日本語"]:
            answer = await s.http.get(
                f"{s.api_url}/join/callback", params={"code": code, "state": state}
            )
            assert answer.status_code == 400, state
            assert "expired" in answer.text
        answer = await s.http.get(f"{s.api_url}/join/callback")
        assert answer.status_code == 400

        async with s.db.session() as session:  # the request is now 11 minutes old
            request = await session.get(JoinRequest, params["state"])
            request.created_at = utcnow() - timedelta(minutes=11)
            session.add(request)
            await session.commit()
        answer = await s.http.get(callback)
        assert answer.status_code == 400 and "expired" in answer.text
        assert (await s.friend(user(3))).route == "unknown"
        assert (await s.join_request(params["state"])).completed_at is None
        assert s.emulator.calls["token"] == 0 and s.changes.calls == []


async def test_user_cancelling_is_a_400_page_and_changes_nothing(join_stack):
    async with join_stack() as s:
        params = await s.open_link()
        callback = await s.log_in(params, user(4), cancel=True)
        assert parse_qs(urlsplit(callback).query)["error"] == ["access_denied"]
        answer = await s.http.get(callback)
        assert answer.status_code == 400 and "open the route link again" in answer.text
        assert await s.friend(user(4)) is None
        assert (await s.join_request(params["state"])).completed_at is None
        assert s.emulator.calls["token"] == 0


async def test_refused_code_is_400(join_stack):
    async with join_stack() as s:
        params = await s.open_link()
        callback = await s.log_in(params, user(5))
        forged = callback.replace("code=", "code=x", 1)  # invalid_grant from the token endpoint
        answer = await s.http.get(forged)
        assert answer.status_code == 400 and "LINE Login could not confirm you" in answer.text
        assert (await s.friend(user(5))).route == "unknown"
        assert s.emulator.calls["token"] == 1

        s.emulator.clock = lambda: utcnow().timestamp() + 600  # the real code has expired
        answer = await s.http.get(callback)
        assert answer.status_code == 400
        assert (await s.join_request(params["state"])).completed_at is None
        assert s.changes.calls == []


async def test_line_unreachable_or_failing_is_502(join_stack):
    async with join_stack() as s:
        params = await s.open_link()
        callback = await s.log_in(params, user(6))
        real = s.app.state.line_login_http

        def failing(status: int | None) -> httpx.AsyncClient:
            def handler(request: httpx.Request) -> httpx.Response:
                if status is None:
                    raise httpx.ConnectError("connection refused", request=request)
                return httpx.Response(status, text="<html>oops</html>")

            return httpx.AsyncClient(transport=httpx.MockTransport(handler))

        for status in (None, 500, 503, 200):  # 200 that is not JSON: not LINE's answer either
            s.app.state.line_login_http = failing(status)
            answer = await s.http.get(callback)
            assert answer.status_code == 502, status
            assert "LINE could not be reached" in answer.text
        s.app.state.line_login_http = real
        assert (await s.friend(user(6))).route == "unknown"

        done = await s.http.get(callback)  # LINE is back, the code still valid: it works
        assert done.status_code == 302 and (await s.friend(user(6))).route == "qr_shop"


async def test_token_endpoint_down_is_502(join_stack):
    async with join_stack(line_api_base_url=f"http://127.0.0.1:{free_port()}") as s:
        answer = await s.http.get(f"{s.api_url}/join/qr_shop")
        location = answer.headers["location"]  # LINE_LOGIN_BASE_URL still at the emulator
        params = dict(parse_qsl(urlsplit(location).query))
        body = params | {"user_id": user(7), "add_friend": False}
        callback = (await s.http.post(f"{s.emulator_url}/emulator/login", json=body)).json()
        answer = await s.http.get(callback["location"])
        assert answer.status_code == 502
        assert (await s.join_request(params["state"])).completed_at is None


async def test_login_not_configured_is_503_naming_the_variables(join_stack):
    async with join_stack(line_login_channel_id=None, line_login_channel_secret=None) as s:
        for path in ("/join/qr_shop", "/join/callback?code=x&state=y"):
            answer = await s.http.get(f"{s.api_url}{path}")
            assert answer.status_code == 503
            detail = answer.json()["detail"]
            assert "LINE_LOGIN_CHANNEL_ID" in detail and "LINE_LOGIN_CHANNEL_SECRET" in detail
        async with s.db.session() as session:
            assert await session.get(JoinRequest, "y") is None
    async with join_stack(line_login_channel_secret="") as s:
        answer = await s.http.get(f"{s.api_url}/join/qr_shop")
        assert answer.status_code == 503
        assert answer.json()["detail"] == (
            "route links need LINE Login: LINE_LOGIN_CHANNEL_SECRET not set"
        )


async def test_route_names_at_the_limits(join_stack):
    async with join_stack() as s:
        for route in ("a", "A-Z_0.9", "r" * 100):
            params = await s.open_link(route)
            assert (await s.join_request(params["state"])).route == route
