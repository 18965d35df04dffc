"""Every admin route needs `Authorization: Bearer $STEPLINE_ADMIN_TOKEN`; the webhook and
the probes (/healthz, /readyz) need none; an unset token closes the admin API altogether."""

import re
from contextlib import asynccontextmanager

import httpx
import pytest
from pydantic import SecretStr

from api.app import create_app
from core.serve import serving
from store.tables import Scenario
from tests.api.helpers import count, scenario, sign, text
from tests.support.stack import ADMIN_TOKEN, settings_for, user

PUBLIC = {
    ("POST", "/webhooks/line"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/r/{token}"),
}
PATH_VALUES = {
    "scenario_id": "scn_000000000000",
    "user_id": user(1),
    "tag": "vip",
    "audience_id": "aud_000000000000",
    "name": "follow-up",
    "enrollment_id": f"enrollment:scn_000000000000:{user(1)}:1",
    "coupon_id": "01JYNW8JMQVFBNWF1APF8Z3FS7",
    "operation_id": "op_000000000000",
}
DEFINITION = scenario(text("welcome", "Welcome"))


def admin_routes(app) -> list[tuple[str, str]]:
    """Every route of the app but the public ones (from its OpenAPI description, which lists
    every route of every router)."""
    routes = [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    ]
    return [route for route in routes if route not in PUBLIC]


def concrete(path: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: PATH_VALUES[m.group(1)], path)


async def refused(client: httpx.AsyncClient, method: str, path: str, **headers) -> httpx.Response:
    body = DEFINITION if method in ("POST", "PUT") else None
    answer = await client.request(method, concrete(path), json=body, headers=headers)
    assert answer.status_code == 401, f"{method} {path}: {answer.status_code} {answer.text}"
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    return answer


async def test_the_admin_routes_are_the_ones_we_expect(shared):
    assert sorted(admin_routes(shared.app)) == sorted(
        [
            ("POST", "/scenarios"),
            ("GET", "/scenarios"),
            ("GET", "/scenarios/{scenario_id}"),
            ("PUT", "/scenarios/{scenario_id}"),
            ("POST", "/scenarios/{scenario_id}/activate"),
            ("POST", "/scenarios/{scenario_id}/pause"),
            ("POST", "/scenarios/{scenario_id}/resume"),
            ("POST", "/scenarios/{scenario_id}/end"),
            ("GET", "/scenarios/{scenario_id}/enrollments"),
            ("GET", "/scenarios/{scenario_id}/stats"),
            ("GET", "/scenarios/{scenario_id}/impact"),
            ("POST", "/scenarios/{scenario_id}/test-sends"),
            ("GET", "/scenarios/{scenario_id}/operations"),
            ("GET", "/operations"),
            ("GET", "/operations/{operation_id}"),
            ("POST", "/enrollments/{enrollment_id}/retry"),
            ("GET", "/friends/{user_id}"),
            ("GET", "/friends/{user_id}/timeline"),
            ("PUT", "/friends/{user_id}/attributes"),
            ("POST", "/friends/{user_id}/tags"),
            ("DELETE", "/friends/{user_id}/tags/{tag}"),
            ("PUT", "/friends/{user_id}/route"),
            ("POST", "/friends/import"),
            ("POST", "/audiences"),
            ("GET", "/audiences"),
            ("GET", "/audiences/{audience_id}"),
            ("PUT", "/audiences/{audience_id}/members"),
            ("POST", "/events"),
            ("GET", "/channel/policy"),
            ("PUT", "/channel/policy"),
            ("GET", "/channel/quota"),
            ("GET", "/channel/quota/forecast"),
            ("POST", "/coupons"),
            ("GET", "/coupons/{coupon_id}"),
            ("GET", "/templates"),
            ("POST", "/templates/{name}/scenarios"),
        ]
    )


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Bearer {ADMIN_TOKEN}x"},
        {"Authorization": "Bearer"},
        {"Authorization": f"Basic {ADMIN_TOKEN}"},
        {"Authorization": ADMIN_TOKEN},
    ],
    ids=["missing", "wrong", "longer", "empty", "basic", "no scheme"],
)
async def test_every_admin_route_refuses_without_the_right_token(shared, headers):
    before = await count(shared, Scenario)
    async with httpx.AsyncClient(base_url=str(shared.api.base_url)) as client:
        for method, path in admin_routes(shared.app):
            answer = await refused(client, method, path, **headers)
            assert answer.json() == {"detail": "missing or wrong bearer token"}
    assert await count(shared, Scenario) == before


async def test_the_right_token_is_let_in(shared):
    answer = await shared.api.get("/scenarios")
    assert answer.status_code == 200
    assert shared.api.headers["Authorization"] == f"Bearer {ADMIN_TOKEN}"


async def test_webhook_and_the_probes_need_no_token(shared):
    async with httpx.AsyncClient(base_url=str(shared.api.base_url)) as client:
        for probe in ("/healthz", "/readyz"):
            assert (await client.get(probe)).status_code == 200, probe
        body = b'{"destination": "U0", "events": []}'
        hook = await client.post(
            "/webhooks/line",
            content=body,
            headers={"Content-Type": "application/json", "X-Line-Signature": sign(body)},
        )
        assert hook.status_code == 200


@asynccontextmanager
async def app_with_token(ts_env, tmp_path, token: SecretStr | None):
    settings = settings_for(
        database_url=f"sqlite:///{tmp_path}/stepline.db", line_api="http://127.0.0.1:9"
    ).model_copy(update={"admin_token": token})
    app = create_app(settings, temporal=ts_env.client)
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as client:
        yield app, client


@pytest.mark.parametrize("token", [None, SecretStr("")], ids=["unset", "empty"])
async def test_without_an_admin_token_the_admin_api_refuses_everything(ts_env, tmp_path, token):
    async with app_with_token(ts_env, tmp_path, token) as (app, client):
        for headers in (
            {},
            {"Authorization": "Bearer"},
            {"Authorization": f"Bearer {ADMIN_TOKEN}"},
        ):
            for method, path in admin_routes(app):
                answer = await refused(client, method, path, **headers)
                assert answer.json() == {
                    "detail": "admin API disabled: STEPLINE_ADMIN_TOKEN is not set"
                }
        async with app.state.services.db.session() as session:
            assert (await session.exec(Scenario.__table__.select())).all() == []
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).status_code == 200
