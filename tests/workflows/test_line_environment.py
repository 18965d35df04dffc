"""The LINE client and the environment: the SDK's aiohttp session trusts proxy variables and
netrc; with neither set it skips looking for them on every request (two thread hops each),
and with a proxy set its requests still go through the proxy."""

import os

from fastapi import FastAPI, Request

from core.serve import serving
from line.client import PROXY_VARIABLES, LinePusher, environment_to_trust
from tests.support.stack import settings_for, user


def _line_stand_in(seen: list[str]) -> FastAPI:
    app = FastAPI()

    @app.get("/{path:path}")
    async def profile(path: str, request: Request) -> dict:
        seen.append(request.url.path)
        return {"userId": path.rsplit("/", 1)[-1], "displayName": "Mio"}

    return app


def _nothing_to_trust(monkeypatch, home: str = "/nonexistent") -> None:
    """No proxy variable (either case), no NETRC, a home with no .netrc."""
    for name in list(os.environ):
        if name.lower() in PROXY_VARIABLES or name in ("NETRC", "no_proxy", "NO_PROXY"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", home)


async def _profile_through(monkeypatch, line_url: str, proxy_url: str | None):
    _nothing_to_trust(monkeypatch)
    if proxy_url:
        monkeypatch.setenv("HTTP_PROXY", proxy_url)
    pusher = LinePusher.from_settings(settings_for(database_url="sqlite://", line_api=line_url))
    try:
        trusting = pusher.client.rest_client.pool_manager.trust_env
        return trusting, await pusher.get_profile(user(1))
    finally:
        await pusher.close()


async def test_with_nothing_to_trust_the_client_asks_line_directly(monkeypatch):
    at_line: list[str] = []
    async with serving(_line_stand_in(at_line)) as line_url:
        trusting, profile = await _profile_through(monkeypatch, line_url, None)
    assert not trusting and not environment_to_trust()
    assert profile.display_name == "Mio"
    assert at_line == [f"/v2/bot/profile/{user(1)}"]


async def test_a_proxy_in_the_environment_is_still_used(monkeypatch):
    at_line: list[str] = []
    at_proxy: list[str] = []
    async with (
        serving(_line_stand_in(at_line)) as line_url,
        serving(_line_stand_in(at_proxy)) as proxy_url,
    ):
        trusting, profile = await _profile_through(monkeypatch, line_url, proxy_url)
    assert trusting
    assert profile.display_name == "Mio"
    assert at_proxy == [f"/v2/bot/profile/{user(1)}"] and at_line == []


def test_a_netrc_file_is_something_to_trust(monkeypatch, tmp_path):
    _nothing_to_trust(monkeypatch, str(tmp_path))
    assert not environment_to_trust()
    (tmp_path / ".netrc").write_text("machine api.line.me login a password b\n")
    assert environment_to_trust()
