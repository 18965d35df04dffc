"""A body that is not JSON says so: every admin route that takes a JSON body (read from the
OpenAPI description, so a new one is covered too) answers a form body — what `curl -d` sends
without `-H 'content-type: application/json'` — and broken JSON with one problem at `(body)`
that names what was expected and what came, in the `{"detail": [{path, msg, type}]}` shape."""

import re

import pytest

from tests.support.stack import user

FORM = "application/x-www-form-urlencoded"
FAMILIES = {"/scenarios", "/friends", "/audiences", "/events", "/channel"}
BROKEN = '{"name": "Welcome", "steps": [}'


def _json_routes(schema: dict) -> list[tuple[str, str]]:
    return sorted(
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
        and path != "/webhooks/line"  # LINE's: signed bytes, refused with a 400 before parsing
    )


def _filled(path: str) -> str:
    """A path whose parameters are well-formed: the answer is about the body alone."""
    return re.sub(r"\{(\w+)\}", lambda m: user(0x4A50) if m[1] == "user_id" else "x", path)


async def _routes(shared) -> list[tuple[str, str]]:
    routes = _json_routes((await shared.api.get("/openapi.json")).json())
    families = {"/" + path.split("/")[1] for _, path in routes}
    assert FAMILIES <= families, families  # scenarios, friends, audiences, events, the policy
    return routes


async def test_a_form_body_is_refused_naming_the_content_type(shared):
    for method, path in await _routes(shared):
        answer = await shared.api.request(
            method, _filled(path), content="name=Welcome&steps=", headers={"Content-Type": FORM}
        )
        assert answer.status_code == 422, (method, path, answer.text)
        assert {
            "path": "(body)",
            "msg": f"expected JSON (Content-Type: application/json), got {FORM}",
            "type": "json_expected",
        } in answer.json()["detail"], (method, path, answer.text)


@pytest.mark.parametrize("content_type", [FORM, "text/plain; charset=utf-8"])
async def test_json_sent_as_another_type_is_refused_all_the_same(shared, content_type):
    answer = await shared.api.put(
        "/channel/policy", content='{"daily_cap": 3}', headers={"Content-Type": content_type}
    )
    assert answer.status_code == 422
    assert answer.json() == {
        "detail": [
            {
                "path": "(body)",
                "msg": f"expected JSON (Content-Type: application/json), got {content_type}",
                "type": "json_expected",
            }
        ]
    }


async def test_broken_json_is_refused_as_not_valid_json(shared):
    for method, path in await _routes(shared):
        answer = await shared.api.request(
            method, _filled(path), content=BROKEN, headers={"Content-Type": "application/json"}
        )
        assert answer.status_code == 422, (method, path, answer.text)
        assert answer.json()["detail"] == [
            {"path": "(body)", "msg": "not valid JSON: Expecting value", "type": "json_invalid"}
        ], (method, path)


async def test_a_body_without_a_content_type_is_refused_saying_so(shared):
    """FastAPI reads a body as JSON only when the request says it is JSON."""
    for method, path in await _routes(shared):
        for body in (BROKEN, '{"daily_cap": 3}'):
            answer = await shared.api.request(method, _filled(path), content=body)
            assert answer.status_code == 422, (method, path, answer.text)
            assert {
                "path": "(body)",
                "msg": "expected JSON (Content-Type: application/json), got no Content-Type",
                "type": "json_expected",
            } in answer.json()["detail"], (method, path, answer.text)


async def test_broken_json_sent_as_a_form_names_the_content_type(shared):
    answer = await shared.api.post("/scenarios", content=BROKEN, headers={"Content-Type": FORM})
    assert answer.status_code == 422
    assert answer.json()["detail"] == [
        {
            "path": "(body)",
            "msg": f"expected JSON (Content-Type: application/json), got {FORM}",
            "type": "json_expected",
        }
    ]


async def test_a_form_route_still_names_its_fields(shared):
    """The dashboard's forms are not JSON routes: their problems stay on their fields."""
    answer = await shared.api.post("/login", content="", headers={"Content-Type": FORM})
    assert "expected JSON" not in answer.text
