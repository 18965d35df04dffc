"""What the fuzzers found, kept as plain examples: each was a 5xx (or a write that could not be
read back), and is now a 4xx naming the problem that changes nothing."""

import json

import pytest

from api.app import create_app
from scenarios.validate import DefinitionError, validate_definition
from store.tables import Friend, Scenario, WebhookEvent
from tests.api.helpers import count, scenario, signed, wait
from tests.fuzz.strategies import HUGE_FLOAT, encode
from tests.support.stack import settings_for, user

JSON = {"Content-Type": "application/json"}
DEFINITION = scenario(wait("w", "P1D"))


def _split_in_split(depth: int) -> dict:
    steps = [wait("w", "P1D")]
    for level in range(depth):
        arms = [{"label": "A", "weight": 1, "steps": steps}, {"label": "B", "weight": 1}]
        steps = [{"id": f"s{level}", "type": "split", "arms": arms}]
    return scenario(*steps)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # Python reads 1e400 as infinity: stored, it came back as null (and PostgreSQL refused it)
        (
            encode(scenario({"id": "s", "type": "attribute", "set": {"a": HUGE_FLOAT}})),
            "a number is too large",
        ),
        (
            json.dumps(DEFINITION).replace('"P1D"}', '"P1D", "x": ' + "9" * 5000 + "}").encode(),
            "a number is too large",
        ),
        # stored, but no answer could render it again (GET /scenarios/{id} was a 500)
        (json.dumps(_split_in_split(70)).encode(), "nested more than 100 levels deep"),
        (b"[" * 100_000 + b"]" * 100_000, "nested more than 100 levels deep"),  # was a bare 400
        (json.dumps({**DEFINITION, "name": "\ud800"}).encode(), "lone surrogate"),
        (b'{"name": "\xff"}', "not UTF-8 text"),
    ],
    ids=[
        "1e400",
        "5,000 digits",
        "70 splits deep",
        "100,000 brackets",
        "lone surrogate",
        "latin-1",
    ],
)
async def test_json_no_answer_could_hold_is_422(fuzzed, body, message):
    before = await count(fuzzed, Scenario)
    answer = await fuzzed.api.post("/scenarios", content=body, headers=JSON)
    assert answer.status_code == 422, answer.text
    [problem] = answer.json()["detail"]
    assert problem["path"] == "(body)" and problem["type"] == "json_invalid"
    assert message in problem["msg"], problem
    assert await count(fuzzed, Scenario) == before


async def test_a_lone_surrogate_in_an_attribute_is_422_and_the_friend_stays_readable(fuzzed):
    friend = user(9001)
    assert (await fuzzed.api.put(f"/friends/{friend}/attributes", json={"plan": "gold"})).is_success
    body = json.dumps({"plan": "\udc00"}).encode()  # was stored, then every answer was a 500
    answer = await fuzzed.api.put(f"/friends/{friend}/attributes", content=body, headers=JSON)
    assert answer.status_code == 422, answer.text
    view = await fuzzed.api.get(f"/friends/{friend}")
    assert view.status_code == 200 and view.json()["attributes"] == {"plan": "gold"}


async def test_a_timezone_of_many_folders_is_422(fuzzed):
    # zoneinfo recursed through each folder: RecursionError, a 500
    answer = await fuzzed.api.post("/scenarios", json={**DEFINITION, "timezone": "a/" * 400 + "b"})
    assert answer.status_code == 422, answer.text
    assert [problem["path"] for problem in answer.json()["detail"]] == ["timezone"]


def test_a_definition_with_infinity_is_refused_where_it_stands():
    # YAML's .inf reaches validate_definition (the CLI) as infinity
    document = {**DEFINITION, "exit": [{"attribute": "age", "between": [float("inf"), 30]}]}
    with pytest.raises(DefinitionError) as refused:
        validate_definition(document)
    assert [problem["path"] for problem in refused.value.errors] == ["exit[0].between[0]"]


def _follow(**changes) -> dict:
    event = {
        "type": "follow",
        "mode": "active",
        "timestamp": 1_700_000_000_000,
        "source": {"type": "user", "userId": user(9002)},
        "webhookEventId": "01JFUZZ0000000000000000000",
        "deliveryContext": {"isRedelivery": False},
        "replyToken": "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA",
        "follow": {"isUnblocked": False},
    }
    return {"destination": "U" + "f" * 32, "events": [{**event, **changes}]}


@pytest.mark.parametrize(
    "body",
    [
        json.dumps(_follow(timestamp=2**63)).encode(),  # no BIGINT holds it: a 500 on insert
        json.dumps(_follow(timestamp=-(2**62))).encode(),  # recorded, then failed for ever
        encode(_follow(duration=HUGE_FLOAT)),
    ],
    ids=["2**63 ms", "before year 1", "1e400 (PostgreSQL refused it)"],
)
async def test_a_signed_webhook_no_column_can_hold_is_400(fuzzed, body):
    before = await count(fuzzed, WebhookEvent)
    answer = await fuzzed.api.post("/webhooks/line", content=body, headers=signed(body)[1])
    assert answer.status_code == 400, answer.text
    assert answer.json() == {"detail": "malformed webhook body"}
    assert await count(fuzzed, WebhookEvent) == before
    assert await count(fuzzed, Friend, Friend.user_id == user(9002)) == 0


def test_the_openapi_description_of_a_422_is_the_one_sent():
    # it described FastAPI's own `loc`; every 422 of the API names the `path`
    schema = create_app(settings_for(database_url="sqlite://", line_api="http://127.0.0.1:9"))
    problem = schema.openapi()["components"]["schemas"]["ValidationError"]
    assert problem["required"] == ["path", "msg", "type"]
