"""Route links are not a door for anyone: only a route handed out (a route audience's or a
follow scenario's) is taken, each address opens a few a minute, and a login's `state` is
completed only by the browser that opened the link."""

import httpx
import pytest
from sqlmodel import select

from api.deps import JOINS_PER_MINUTE
from api.routes.join import BINDING
from store.tables import JoinRequest
from tests.support.stack import ADMIN_TOKEN, user


@pytest.mark.parametrize(
    "route",
    ["bad%20route", "a" * 101, "%E3%81%82", "semi;colon", "q%00", "never_handed_out", "QR_SHOP"],
)
async def test_a_bad_or_unknown_route_is_404_and_writes_nothing(join_stack, route):
    async with join_stack() as s:
        answer = await s.http.get(f"{s.api_url}/join/{route}")
        assert answer.status_code == 404
        assert "not in use" in answer.text and BINDING not in answer.headers.get("set-cookie", "")
        async with s.db.session() as session:
            assert (await session.exec(select(JoinRequest))).all() == []


async def test_a_scenario_s_follow_routes_are_links_too(join_stack):
    async with join_stack() as s:
        assert (await s.http.get(f"{s.api_url}/join/poster")).status_code == 404
        definition = {
            "name": "poster",
            "trigger": {"type": "follow", "routes": ["poster"]},
            "steps": [{"id": "w", "type": "wait", "duration": "P1D"}],
        }
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        created = await s.http.post(f"{s.api_url}/scenarios", json=definition, headers=admin)
        assert created.status_code == 201, created.text
        assert (await s.http.get(f"{s.api_url}/join/poster")).status_code == 302
        ended = await s.http.post(
            f"{s.api_url}/scenarios/{created.json()['id']}/end", headers=admin
        )
        assert ended.status_code in (200, 202), ended.text
        assert (await s.http.get(f"{s.api_url}/join/poster")).status_code == 404


async def test_opening_links_is_rate_limited_per_address(join_stack):
    async with join_stack() as s:
        answers = [
            await s.http.get(f"{s.api_url}/join/qr_shop") for _ in range(JOINS_PER_MINUTE + 3)
        ]
        assert [a.status_code for a in answers] == [302] * JOINS_PER_MINUTE + [429] * 3
        assert int(answers[-1].headers["retry-after"]) > 0
        async with s.db.session() as session:
            assert len((await session.exec(select(JoinRequest))).all()) == JOINS_PER_MINUTE


async def test_a_state_is_completed_only_by_the_browser_that_opened_the_link(join_stack):
    async with join_stack() as s:
        params = await s.open_link()
        callback = await s.log_in(params, user(9))
        async with httpx.AsyncClient(timeout=30) as other:  # the URL, seen elsewhere
            stolen = await other.get(callback)
        assert stolen.status_code == 400 and "expired" in stolen.text
        friend = await s.friend(user(9))
        assert friend is not None and friend.route == "unknown"  # not set by this link
        mine = await s.http.get(callback)  # the browser that opened it, its cookie with it
        assert mine.status_code == 302
        assert (await s.friend(user(9))).route == "qr_shop"
