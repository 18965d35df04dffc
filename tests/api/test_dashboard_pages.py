"""The dashboard as a browser without JavaScript sees it: the login form and its cookie, the
redirects (never to another site), the 404 and 422 pages, escaping."""

import secrets
from contextlib import asynccontextmanager
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from api.app import create_app
from api.dashboard import auth
from core.serve import serving
from store import sessions
from tests.api.helpers import scenario, text
from tests.support.stack import ADMIN_TOKEN, settings_for, user


@asynccontextmanager
async def browser(stack):
    """A client with no bearer header: only what a browser has (its cookies)."""
    async with httpx.AsyncClient(base_url=str(stack.api.base_url), timeout=30) as client:
        yield client


async def signed_in(client: httpx.AsyncClient) -> None:
    answer = await client.post("/login", data={"token": ADMIN_TOKEN, "next": "/"})
    assert answer.status_code == 303, answer.text


def login_target(answer: httpx.Response) -> str:
    """The `next` of a redirect to the login form."""
    location = urlsplit(answer.headers["location"])
    assert location.path == "/login", answer.headers["location"]
    return parse_qs(location.query)["next"][0]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/dashboard/friends?q=U1",
        "/dashboard/scenarios/scn_x?from=2026-01-01&status=waiting",
        f"/dashboard/friends/{user(1)}",
        "/dashboard/scenarios/scn_x/stats.csv",
    ],
)
async def test_pages_without_a_session_go_to_the_login_form(shared, path):
    async with browser(shared) as client:
        answer = await client.get(path)
    assert answer.status_code == 303
    assert login_target(answer) == path


async def test_the_login_form_asks_for_the_token(shared):
    async with browser(shared) as client:
        answer = await client.get("/login", params={"next": "/dashboard/friends"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert 'name="token"' in answer.text and 'type="password"' in answer.text
    assert 'name="next" value="/dashboard/friends"' in answer.text


async def test_a_wrong_token_gets_the_form_again_with_401(shared):
    async with browser(shared) as client:
        answer = await client.post("/login", data={"token": "wrong", "next": "/"})
        missing = await client.post("/login", data={})
        after = await client.get("/")
    assert answer.status_code == 401
    assert auth.WRONG in answer.text and 'name="token"' in answer.text
    assert "set-cookie" not in answer.headers
    assert missing.status_code == 401 and auth.WRONG in missing.text
    assert after.status_code == 303  # still not signed in


async def test_the_right_token_sets_a_signed_cookie_and_goes_to_next(shared):
    async with browser(shared) as client:
        answer = await client.post(
            "/login", data={"token": ADMIN_TOKEN, "next": "/dashboard/friends?q=U"}
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/dashboard/friends?q=U"
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith(f"{auth.COOKIE}=")
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert "Secure" not in cookie  # STEPLINE_PUBLIC_URL is http://
        assert ADMIN_TOKEN not in cookie  # a random session id, not the token
        page = await client.get("/dashboard/friends")
        assert page.status_code == 200 and "<h1>Friends</h1>" in page.text

        kept = client.cookies[auth.COOKIE]
        out = await client.post("/logout")
        assert out.status_code == 303 and out.headers["location"] == "/login"
        assert f'{auth.COOKIE}=""' in out.headers["set-cookie"]
        assert (await client.get("/dashboard/friends")).status_code == 303
    async with browser(shared) as thief:  # the cookie kept from before the logout
        thief.cookies.set(auth.COOKIE, kept)
        assert (await thief.get("/dashboard/friends")).status_code == 303


async def test_a_forged_or_expired_cookie_is_refused(shared):
    async with shared.db.session() as session:
        forged = await sessions.open_session(
            session, token="not-the-admin-token", lifetime=timedelta(hours=1)
        )
        expired = await sessions.open_session(
            session, token=ADMIN_TOKEN, lifetime=timedelta(seconds=-5)
        )
    guessed = secrets.token_urlsafe(32)
    for value in (forged, expired, guessed, "garbage", "x" * 5000, ADMIN_TOKEN):
        async with browser(shared) as client:
            client.cookies.set(auth.COOKIE, value)
            assert (await client.get("/")).status_code == 303, value


async def test_the_bearer_header_is_let_in_too(shared):
    answer = await shared.api.get("/")
    assert answer.status_code == 200 and "<h1>Scenarios</h1>" in answer.text
    async with browser(shared) as client:
        wrong = await client.get("/", headers={"Authorization": "Bearer wrong"})
    assert wrong.status_code == 303


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "evil.example",
        "/logout",
        "",
        "/" + "a" * 3000,
    ],
)
async def test_no_redirect_to_another_site_after_login(shared, target):
    async with browser(shared) as client:
        answer = await client.post("/login", data={"token": ADMIN_TOKEN, "next": target})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"


async def test_unknown_scenarios_and_friends_are_404_pages(shared):
    async with browser(shared) as client:
        await signed_in(client)
        for path, named in [
            ("/dashboard/scenarios/scn_nothere", "scn_nothere"),
            ("/dashboard/scenarios/%00%27;drop", "drop"),
            ("/dashboard/scenarios/" + "x" * 300, "xxxx"),
            ("/dashboard/scenarios/scn_nothere/stats.csv", "scn_nothere"),
            (f"/dashboard/friends/{user(424242)}", user(424242)),
            ("/dashboard/friends/not-a-user", "not-a-user"),
        ]:
            answer = await client.get(path)
            assert answer.status_code == 404, path
            assert answer.headers["content-type"].startswith("text/html")
            assert "404" in answer.text and named in answer.text


async def test_bad_parameters_are_422_pages_naming_the_field(shared):
    scenario_id = await shared.scenario(scenario(text("hello", "Hello")), activate=False)
    page = f"/dashboard/scenarios/{scenario_id}"
    async with browser(shared) as client:
        await signed_in(client)
        for path, params, field in [
            (page, {"from": "yesterday"}, "from"),
            (page, {"to": "2026-13-45"}, "to"),
            (page, {"from": "2026-01-01T10:00:00"}, "from"),  # no UTC offset
            (page, {"from": "9999-12-31T23:59:59-23:59"}, "from"),
            (page, {"to": "9999-12-31"}, "to"),
            (page, {"from": "2026-02-01", "to": "2026-01-01"}, "to"),
            (page, {"status": "sleeping"}, "status"),
            (page, {"page": "0"}, "page"),
            (page, {"page": "many"}, "page"),
            (page, {"fragment": "everything"}, "fragment"),
            (f"{page}/stats.csv", {"from": "soon"}, "from"),
            ("/dashboard/friends", {"q": "a\x00b"}, "q"),
            ("/dashboard/friends", {"q": "x" * 101}, "q"),
        ]:
            answer = await client.get(path, params=params)
            assert answer.status_code == 422, (path, params, answer.text[:300])
            assert answer.headers["content-type"].startswith("text/html")
            assert f'<code class="field">{field}</code>' in answer.text, (params, answer.text)


async def test_a_period_filters_the_numbers_as_the_api_does(shared):
    scenario_id = await shared.scenario(scenario(text("hi", "Hi")))
    await shared.follow(user(7001))
    await shared.until_texts(user(7001), ["Hi"])
    async with browser(shared) as client:
        await signed_in(client)
        now = await client.get(f"/dashboard/scenarios/{scenario_id}")
        before = await client.get(
            f"/dashboard/scenarios/{scenario_id}",
            params={"from": "2001-01-01", "to": "2001-01-02T00:00:00+09:00"},
        )
        csv = await client.get(
            f"/dashboard/scenarios/{scenario_id}/stats.csv", params={"to": "2001-01-02"}
        )
    api = await shared.api.get(f"/scenarios/{scenario_id}/stats", params={"format": "csv"})
    assert 'data-stat="enrolled">1<' in now.text
    assert 'data-stat="enrolled">0<' in before.text
    # the CSV link carries the period as the API takes it
    assert "from=2000-12-31T15%3A00%3A00%2B00%3A00" in before.text
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[1].startswith("step,hi,message,,0,0,")
    assert api.text.splitlines()[1].startswith("step,hi,message,,1,1,")


async def test_names_are_escaped(shared):
    evil = "<script>alert('x')</script>"
    scenario_id = await shared.scenario(
        {**scenario(text("s1", evil)), "name": evil}, activate=False
    )
    async with browser(shared) as client:
        await signed_in(client)
        listing = await client.get("/")
        page = await client.get(f"/dashboard/scenarios/{scenario_id}")
        search = await client.get("/dashboard/friends", params={"q": evil})
    for answer in (listing, page, search):
        assert answer.status_code == 200
        assert evil not in answer.text
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in answer.text


async def test_the_dashboard_is_not_in_the_openapi_schema(shared):
    paths = (await shared.api.get("/openapi.json")).json()["paths"]
    assert "/" not in paths and "/login" not in paths and "/logout" not in paths
    assert not [path for path in paths if path.startswith(("/dashboard", "/static"))]


async def test_static_files_are_served_without_a_session(shared):
    async with browser(shared) as client:
        css = await client.get("/static/dashboard/dashboard.css")
        script = await client.get("/static/dashboard/live.js")
        other = await client.get("/static/dashboard/..%2F__init__.py")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert script.status_code == 200 and "data-live" in script.text
    assert other.status_code == 404


@asynccontextmanager
async def api_with(ts_env, tmp_path, **settings):
    """The API alone, with these settings."""
    base = settings_for(database_url=f"sqlite:///{tmp_path}/db.sqlite", line_api="http://x:1")
    app = create_app(base.model_copy(update=settings), temporal=ts_env.client)
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as client:
        yield client


async def test_without_an_admin_token_the_dashboard_is_disabled(ts_env, tmp_path):
    async with api_with(ts_env, tmp_path, admin_token=None) as client:
        page = await client.get("/")
        form = await client.get("/login")
        attempt = await client.post("/login", data={"token": ""})
    assert page.status_code == 303 and login_target(page) == "/"
    for answer in (form, attempt):
        assert answer.status_code == 401
        assert auth.DISABLED in answer.text and 'name="token"' not in answer.text


async def test_the_cookie_is_secure_behind_https(ts_env, tmp_path):
    async with api_with(ts_env, tmp_path, public_url="https://stepline.example") as client:
        answer = await client.post("/login", data={"token": ADMIN_TOKEN})
    assert answer.status_code == 303
    assert "Secure" in answer.headers["set-cookie"]
