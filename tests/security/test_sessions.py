"""Wrong admin tokens are throttled per client (the login form and the bearer header alike),
with the default limit; the throttle forgets a client a minute after its last failures."""

import pytest
from pydantic import SecretStr

from api.dashboard import auth
from api.throttle import Throttle
from tests.api.test_dashboard_pages import api_with
from tests.support.stack import ADMIN_TOKEN

LIMIT = 10  # the default STEPLINE_AUTH_FAILURES_PER_MINUTE


async def test_wrong_logins_are_throttled_then_even_the_right_token_waits(ts_env, tmp_path):
    async with api_with(ts_env, tmp_path, auth_failures_per_minute=LIMIT) as client:
        for _ in range(LIMIT):
            wrong = await client.post("/login", data={"token": "guess"})
            assert wrong.status_code == 401
        throttled = await client.post("/login", data={"token": ADMIN_TOKEN})
        assert throttled.status_code == 429
        assert 0 < int(throttled.headers["retry-after"]) <= 60
        assert "Too many wrong tokens" in throttled.text and "set-cookie" not in throttled.headers
        # the bearer header shares the count: no second door for the same guesses
        api = await client.get("/scenarios", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert api.status_code == 429 and api.headers["retry-after"]


async def test_wrong_bearer_tokens_are_throttled(ts_env, tmp_path):
    async with api_with(ts_env, tmp_path, auth_failures_per_minute=LIMIT) as client:
        answers = [
            (await client.get("/scenarios", headers={"Authorization": f"Bearer guess{n}"}))
            for n in range(LIMIT + 5)
        ]
        assert [a.status_code for a in answers] == [401] * LIMIT + [429] * 5
        # no token at all is no guess: it neither counts nor is throttled differently
        page = await client.get("/", headers={"Authorization": "Bearer also-wrong"})
        assert page.status_code == 429


def test_the_throttle_counts_per_client_and_forgets_after_a_minute():
    now = [1000.0]
    throttle = Throttle(3, clock=lambda: now[0])
    for _ in range(3):
        throttle.record("10.0.0.1")
    assert throttle.wait("10.0.0.1") == pytest.approx(60.0)
    assert throttle.wait("10.0.0.2") == 0  # another client is not held
    now[0] += 59.0
    assert throttle.wait("10.0.0.1") == pytest.approx(1.0)
    now[0] += 1.0
    assert throttle.wait("10.0.0.1") == 0
    throttle.record("10.0.0.1")
    throttle.clear("10.0.0.1")  # the right token: the slate is clean
    assert throttle.wait("10.0.0.1") == 0
    assert Throttle(0).wait("x") == 0  # 0 turns it off


async def test_a_session_ends_for_every_browser_when_the_admin_token_changes(ts_env, tmp_path):
    async with api_with(ts_env, tmp_path) as client:
        assert (await client.post("/login", data={"token": ADMIN_TOKEN})).status_code == 303
        cookie = client.cookies[auth.COOKIE]
        assert (await client.get("/")).status_code == 200
    async with api_with(ts_env, tmp_path, admin_token=SecretStr("another-token")) as client:
        client.cookies.set(auth.COOKIE, cookie)
        assert (await client.get("/")).status_code == 303
