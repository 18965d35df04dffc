"""Every answer carries the security headers; a browser sent from another site cannot post a
form or use a dashboard cookie — neither to the API (logout included) nor to the emulator."""

import pytest

from api.dashboard import auth
from core.browser_guard import DOCS_CSP
from tests.api.test_dashboard_pages import browser, signed_in
from tests.support.stack import ADMIN_TOKEN, user

CROSS_SITE = [
    {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    {"Sec-Fetch-Site": "same-site", "Origin": "https://sub.stepline.example"},
    {"Origin": "https://evil.example"},  # an older browser: Origin only
    {"Origin": "null"},  # a sandboxed frame or a data: page
]


@pytest.mark.parametrize("path", ["/", "/dashboard/friends", "/login", "/healthz", "/readyz"])
async def test_pages_carry_the_security_headers(shared, path):
    async with browser(shared) as client:
        await signed_in(client)
        answer = await client.get(path)
    assert answer.status_code == 200, answer.text
    csp = answer.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["cache-control"] == "no-store"


async def test_static_assets_may_be_cached_and_docs_still_frame_nobody(shared):
    script = await shared.api.get("/static/dashboard/live.js")
    assert script.status_code == 200 and script.headers.get("cache-control") != "no-store"
    docs = await shared.api.get("/docs")  # its assets are stepline's own (api/docs_pages.py)
    assert docs.headers["content-security-policy"] == DOCS_CSP
    assert "frame-ancestors 'none'" in DOCS_CSP and "https:" not in DOCS_CSP
    bundle = await shared.api.get("/static/docs/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and bundle.headers.get("cache-control") != "no-store"


@pytest.mark.parametrize("headers", CROSS_SITE)
async def test_a_cross_site_logout_or_login_is_refused(shared, headers):
    async with browser(shared) as client:
        await signed_in(client)
        kept = client.cookies[auth.COOKIE]
        out = await client.post("/logout", headers=headers)
        assert out.status_code == 403 and out.json() == {"detail": "cross-site request refused"}
        assert (await client.get("/")).status_code == 200  # still signed in
        login = await client.post("/login", data={"token": ADMIN_TOKEN}, headers=headers)
        assert login.status_code == 403 and "set-cookie" not in login.headers
        assert client.cookies[auth.COOKIE] == kept


async def test_a_cookie_cannot_carry_a_cross_site_admin_change(shared):
    async with browser(shared) as client:
        await signed_in(client)
        answer = await client.put(
            f"/friends/{user(9100)}/attributes",
            content='{"plan": "gold"}',
            headers={"Content-Type": "text/plain", **CROSS_SITE[0]},
        )
    assert answer.status_code == 403


@pytest.mark.parametrize(
    "headers",
    [{"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"}, {}],
    ids=["same-origin", "typed", "no browser"],
)
async def test_the_site_s_own_forms_and_non_browsers_go_through(shared, headers):
    async with browser(shared) as client:
        await signed_in(client)
        origin = {"Origin": str(shared.api.base_url).rstrip("/")} if headers else {}
        out = await client.post("/logout", headers={**headers, **origin})
    assert out.status_code == 303


@pytest.mark.parametrize("headers", CROSS_SITE)
async def test_the_emulator_s_forms_refuse_another_site(shared, headers):
    friend = user(9101)
    await shared.follow(friend)
    blocked = await shared.emu.post(f"/emulator/chat/{friend}/block", headers=headers)
    said = await shared.emu.post(
        f"/emulator/chat/{friend}/message", data={"text": "hi"}, headers=headers
    )
    assert blocked.status_code == 403 and said.status_code == 403
    assert shared.emulator.users[friend].state == "friend"  # nothing happened
    page = await shared.emu.get(f"/emulator/chat/{friend}")
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    own = await shared.emu.post(
        f"/emulator/chat/{friend}/block", headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert own.status_code in (200, 303) and shared.emulator.users[friend].state == "blocked"
