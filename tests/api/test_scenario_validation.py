"""POST /scenarios rejects bad definitions with a 422 naming the path, and creates nothing."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from store.tables import Scenario, ScenarioVersion
from tests.api.helpers import count, scenario, text, wait

WELCOME = text("welcome", "Welcome")


def branch(step_id: str, *branches: dict, otherwise: list | None = None) -> dict:
    step = {"id": step_id, "type": "branch", "branches": list(branches)}
    if otherwise is not None:
        step["otherwise"] = otherwise
    return step


def image(url: str) -> dict:
    return {"type": "image", "originalContentUrl": url, "previewImageUrl": url}


def message_step(*messages: dict) -> dict:
    return {"id": "m", "type": "message", "messages": list(messages)}


GOLD = {"attribute": "plan", "equals": "gold"}


def until(step_id: str, moment: str, **extra) -> dict:
    return {"id": step_id, "type": "wait", "until": moment, **extra}


def days_ahead(days: int) -> str:
    moment = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days)
    return moment.astimezone(timezone(timedelta(hours=9))).isoformat()


CASES = {
    "unknown step type": (
        scenario(WELCOME, {"id": "x", "type": "teleport"}),
        "steps[1].type",
    ),
    "unknown step field": (
        scenario(WELCOME, {**wait("w", "P1D"), "color": "red"}),
        "steps[1].color",
    ),
    "unknown top-level field": (scenario(WELCOME, colour="red"), "colour"),
    "duplicate step id": (scenario(WELCOME, text("welcome", "again")), "steps[1].id"),
    "duplicate step id inside a branch": (
        scenario(
            WELCOME,
            branch("split", {"label": "gold", "when": GOLD, "steps": [text("welcome", "B")]}),
        ),
        "steps[1].branches[0].steps[0].id",
    ),
    "duplicate step id in otherwise": (
        scenario(
            branch(
                "split",
                {"label": "gold", "when": GOLD, "steps": [text("a", "A")]},
                otherwise=[text("a", "C")],
            ),
        ),
        "steps[0].otherwise[0].id",
    ),
    "wait over 365 days": (scenario(WELCOME, wait("w", "P366D")), "steps[1].duration"),
    "zero wait": (scenario(WELCOME, wait("w", "PT0S")), "steps[1].duration"),
    "negative wait": (scenario(WELCOME, wait("w", "-P1D")), "steps[1].duration"),
    "month wait": (scenario(WELCOME, wait("w", "P1M")), "steps[1].duration"),
    "until without a UTC offset": (
        scenario(WELCOME, until("w", "2026-12-24T10:00:00")),
        "steps[1].until",
    ),
    "until more than 365 days ahead": (
        scenario(WELCOME, until("w", days_ahead(366))),
        "steps[1].until",
    ),
    "until that is no moment": (scenario(WELCOME, until("w", "tomorrow")), "steps[1].until"),
    "wait with duration and until": (
        scenario(WELCOME, until("w", days_ahead(3), duration="P1D")),
        "steps[1]",
    ),
    "wait with neither duration nor until": (
        scenario(WELCOME, {"id": "w", "type": "wait"}),
        "steps[1]",
    ),
    "bad timezone": (scenario(WELCOME, timezone="Mars/Olympus_Mons"), "timezone"),
    "window start equals end": (
        scenario(text("m", "Hi", window={"start": "10:00", "end": "10:00"})),
        "steps[0].window",
    ),
    "window at 25:00": (
        scenario(WELCOME, text("m", "Hi", window={"start": "25:00", "end": "10:00"})),
        "steps[1].window.start",
    ),
    "more than 5 messages": (
        scenario(text("m", "1", "2", "3", "4", "5", "6")),
        "steps[0].messages",
    ),
    "text over 5,000 UTF-16 units": (
        # 2,501 characters, but each emoji is 2 UTF-16 units: 5,002
        scenario(WELCOME, text("long", "😀" * 2501)),
        "steps[1].messages[0].text",
    ),
    "http image": (
        scenario(message_step(image("http://example.com/a.png"))),
        "steps[0].messages[0].originalContentUrl",
    ),
    "unknown message type": (
        scenario(message_step({"type": "hologram", "text": "hi"})),
        "steps[0].messages[0].type",
    ),
    "condition with two operators": (
        scenario(
            branch(
                "split",
                {
                    "label": "x",
                    "when": {"attribute": "age", "gte": 20, "lte": 29},
                    "steps": [text("a", "A")],
                },
            )
        ),
        "steps[0].branches[0].when",
    ),
    "bad value inside a condition": (
        scenario(
            branch(
                "split",
                {"label": "x", "when": {"attribute": "age", "gte": "old"}, "steps": []},
            )
        ),
        "steps[0].branches[0].when.gte",
    ),
    "unknown condition": (
        scenario(branch("split", {"label": "x", "when": {"moon": "full"}, "steps": []})),
        "steps[0].branches[0].when",
    ),
    "unknown trigger": (
        {"name": "t", "trigger": {"type": "sunrise"}, "steps": [WELCOME]},
        "trigger.type",
    ),
    "no steps": ({"name": "t", "trigger": {"type": "follow"}, "steps": []}, "steps"),
    "missing name": ({"trigger": {"type": "follow"}, "steps": [WELCOME]}, "name"),
    "delivery cap of zero": (scenario(WELCOME, delivery_cap=0), "delivery_cap"),
    "delivery cap beyond any counter": (scenario(WELCOME, delivery_cap=10**20), "delivery_cap"),
}


@pytest.mark.parametrize("definition, path", CASES.values(), ids=CASES.keys())
async def test_bad_definition_is_422_naming_the_path_and_creates_nothing(shared, definition, path):
    before = (await shared.api.get("/scenarios")).json()
    versions = await count(shared, ScenarioVersion)
    answer = await shared.api.post("/scenarios", json=definition)
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert path in [problem["path"] for problem in detail], detail
    assert all(set(problem) == {"path", "msg", "type"} and problem["msg"] for problem in detail)
    assert (await shared.api.get("/scenarios")).json() == before
    assert await count(shared, ScenarioVersion) == versions


async def test_5000_utf16_units_is_the_limit_not_5000_characters(stack):
    at_limit = await stack.api.post("/scenarios", json=scenario(text("m", "😀" * 2500)))
    assert at_limit.status_code == 201, at_limit.text
    over = await stack.api.post("/scenarios", json=scenario(text("m", "😀" * 2500 + "a")))
    assert over.status_code == 422
    assert over.json()["detail"] == [
        {
            "path": "steps[0].messages[0].text",
            "msg": "must be at most 5000 UTF-16 code units (got 5001)",
            "type": "line_message",
        }
    ]


async def test_unknown_audience_in_a_branch_is_named(stack):
    definition = scenario(
        WELCOME,
        branch(
            "split",
            {"label": "gold", "when": GOLD, "steps": []},
            {"label": "vip", "when": {"audience": "aud_missing"}, "steps": [text("v", "V")]},
        ),
    )
    answer = await stack.api.post("/scenarios", json=definition)
    assert answer.status_code == 422
    assert answer.json()["detail"] == [
        {
            "path": "steps[1].branches[1].when.audience",
            "msg": "unknown audience 'aud_missing'",
            "type": "unknown_audience",
        }
    ]
    assert await count(stack, Scenario) == 0


async def test_unknown_audience_nested_in_a_condition_is_named(stack):
    when = {"any": [GOLD, {"not": {"audience": "aud_missing"}}]}
    answer = await stack.api.post(
        "/scenarios",
        json=scenario(branch("split", {"label": "x", "when": when, "steps": []})),
    )
    assert answer.status_code == 422
    assert [p["path"] for p in answer.json()["detail"]] == [
        "steps[0].branches[0].when.any[1].not.audience"
    ]


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"{not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"\xff\xfe", "application/json"),
        (b"name=x", "application/x-www-form-urlencoded"),
        (b'{"name": "t", "delivery_cap": NaN}', "application/json"),
    ],
)
async def test_a_body_that_is_not_a_definition_is_422(shared, body, content_type):
    before = await count(shared, Scenario)
    answer = await shared.api.post(
        "/scenarios", content=body, headers={"Content-Type": content_type}
    )
    assert answer.status_code == 422, answer.text
    assert [p["path"] for p in answer.json()["detail"]] == ["(body)"]
    assert await count(shared, Scenario) == before


async def test_until_waits_ahead_and_past_are_created_as_written(shared):
    ahead, past = days_ahead(30), "2020-01-01T09:00:00+09:00"
    definition = scenario(WELCOME, until("later", ahead), until("gone", past))
    answer = await shared.api.post("/scenarios", json=definition)
    assert answer.status_code == 201, answer.text
    read = (await shared.api.get(f"/scenarios/{answer.json()['id']}")).json()
    assert read["definition"]["steps"][1:] == [until("later", ahead), until("gone", past)]


async def test_an_until_without_offset_names_the_field_and_says_why(shared):
    answer = await shared.api.post(
        "/scenarios", json=scenario(WELCOME, until("w", "2026-12-24T10:00:00"))
    )
    assert answer.status_code == 422
    (problem,) = answer.json()["detail"]
    assert problem["path"] == "steps[1].until" and "UTC offset" in problem["msg"]
