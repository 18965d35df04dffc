"""`POST /events` (docs/CONTRACT.md §3, §5): web-traffic and commerce events, validated field by field,
recorded in the `event` table with an increasing `seq`."""

import json
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
from sqlmodel import select

from store.tables import Event
from tests.api.helpers import count
from tests.support.stack import ADMIN_TOKEN, user

JST = timezone(timedelta(hours=9))


async def rows_of(stack, user_id: str) -> list[Event]:
    async with stack.db.session() as session:
        statement = select(Event).where(Event.user_id == user_id).order_by(Event.seq)
        return list((await session.exec(statement)).all())


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- recorded -------------------------------------------------------------------------------


async def test_an_event_is_recorded_and_echoed(shared):
    friend = user(1001)
    body = {
        "user_id": friend,
        "name": "purchase",
        "properties": {"sku": "A-100", "amount": 4800, "gift": False, "tags": ["a", {"b": 1}]},
    }
    before = datetime.now(UTC)
    answer = await shared.api.post("/events", json=body)
    after = datetime.now(UTC)
    assert answer.status_code == 201, answer.text
    event = answer.json()
    assert set(event) == {"seq", "user_id", "name", "properties", "occurred_at", "recorded_at"}
    assert isinstance(event["seq"], int) and event["seq"] >= 1
    assert (event["user_id"], event["name"], event["properties"]) == (
        friend,
        "purchase",
        body["properties"],
    )
    occurred = parse(event["occurred_at"])
    assert occurred.tzinfo is not None
    assert before - timedelta(seconds=1) <= occurred <= after + timedelta(seconds=1)

    (row,) = await rows_of(shared, friend)
    assert (row.seq, row.user_id, row.name, row.properties) == (
        event["seq"],
        friend,
        "purchase",
        body["properties"],
    )
    assert abs(row.occurred_at - occurred) < timedelta(milliseconds=1)
    assert before - timedelta(seconds=1) <= row.recorded_at <= after + timedelta(seconds=1)


async def test_properties_default_to_an_empty_object(shared):
    friend = user(1002)
    answer = await shared.api.post("/events", json={"user_id": friend, "name": "page_view"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["properties"] == {}
    (row,) = await rows_of(shared, friend)
    assert row.properties == {}


@pytest.mark.parametrize(
    "given",
    [
        "2026-01-15T10:00:00+09:00",
        "2026-01-15T01:00:00Z",
        "2026-01-15T01:00:00.123456+00:00",
        "2020-02-29T23:59:59-05:00",
    ],
)
async def test_a_given_aware_occurred_at_is_kept(shared, given):
    friend = user(1003)
    previous = await rows_of(shared, friend)
    answer = await shared.api.post(
        "/events", json={"user_id": friend, "name": "page_view", "occurred_at": given}
    )
    assert answer.status_code == 201, answer.text
    assert parse(answer.json()["occurred_at"]) == parse(given)
    row = (await rows_of(shared, friend))[len(previous)]
    assert row.occurred_at == parse(given)
    assert row.occurred_at.utcoffset() == timedelta(0)


async def test_an_occurred_at_a_little_ahead_is_accepted(shared):
    # clocks differ a little: up to 5 minutes ahead is fine
    friend = user(1004)
    ahead = (datetime.now(JST) + timedelta(minutes=4)).isoformat()
    answer = await shared.api.post(
        "/events", json={"user_id": friend, "name": "page_view", "occurred_at": ahead}
    )
    assert answer.status_code == 201, answer.text
    assert parse(answer.json()["occurred_at"]) == parse(ahead)


@pytest.mark.parametrize(
    "name", ["purchase", "cart_add", "page.view", "checkout:step-2", "A" * 100, "x", "0"]
)
async def test_names_that_are_accepted(shared, name):
    answer = await shared.api.post("/events", json={"user_id": user(1005), "name": name})
    assert answer.status_code == 201, answer.text
    assert answer.json()["name"] == name


async def test_properties_just_under_16_kib_are_accepted(shared):
    friend = user(1006)
    properties = {"blob": "x" * 16_000}
    answer = await shared.api.post(
        "/events", json={"user_id": friend, "name": "page_view", "properties": properties}
    )
    assert answer.status_code == 201, answer.text
    (row,) = await rows_of(shared, friend)
    assert row.properties == properties


async def test_seq_increases_with_every_event(shared):
    first_friend, second_friend = user(1007), user(1008)
    first = await shared.api.post("/events", json={"user_id": first_friend, "name": "page_view"})
    second = await shared.api.post("/events", json={"user_id": second_friend, "name": "cart_add"})
    third = await shared.api.post("/events", json={"user_id": first_friend, "name": "purchase"})
    seqs = [answer.json()["seq"] for answer in (first, second, third)]
    assert [answer.status_code for answer in (first, second, third)] == [201] * 3
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    assert [row.seq for row in await rows_of(shared, first_friend)] == [seqs[0], seqs[2]]
    assert [row.name for row in await rows_of(shared, first_friend)] == ["page_view", "purchase"]


async def test_an_event_needs_no_known_friend(shared):
    # web traffic may arrive before (or without) the LINE follow
    friend = user(1009)
    answer = await shared.api.post("/events", json={"user_id": friend, "name": "page_view"})
    assert answer.status_code == 201
    assert len(await rows_of(shared, friend)) == 1


# --- refused --------------------------------------------------------------------------------

GOOD = {"user_id": user(1100), "name": "purchase", "properties": {"sku": "A-100"}}


def without(key: str) -> dict:
    return {k: v for k, v in GOOD.items() if k != key}


def future(minutes: float) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


REFUSED = {
    "missing user_id": (without("user_id"), "user_id"),
    "user_id null": ({**GOOD, "user_id": None}, "user_id"),
    "user_id not a LINE id": ({**GOOD, "user_id": "nobody"}, "user_id"),
    "user_id too short": ({**GOOD, "user_id": "U123"}, "user_id"),
    "user_id lowercase u": ({**GOOD, "user_id": "u" + "0" * 32}, "user_id"),
    "user_id uppercase hex": ({**GOOD, "user_id": "U" + "A" * 32}, "user_id"),
    "user_id too long": ({**GOOD, "user_id": "U" + "0" * 33}, "user_id"),
    "user_id a number": ({**GOOD, "user_id": 12345}, "user_id"),
    "missing name": (without("name"), "name"),
    "empty name": ({**GOOD, "name": ""}, "name"),
    "name over 100 characters": ({**GOOD, "name": "x" * 101}, "name"),
    "name with a space": ({**GOOD, "name": "page view"}, "name"),
    "name with a newline": ({**GOOD, "name": "purchase\n"}, "name"),
    "name not a string": ({**GOOD, "name": 7}, "name"),
    "properties a list": ({**GOOD, "properties": [1, 2]}, "properties"),
    "properties a string": ({**GOOD, "properties": "sku=A-100"}, "properties"),
    "properties null": ({**GOOD, "properties": None}, "properties"),
    "property name over 100 characters": (
        {**GOOD, "properties": {"k" * 101: 1}},
        "properties." + "k" * 101,
    ),
    "more than 100 properties": (
        {**GOOD, "properties": {f"p{n}": n for n in range(101)}},
        "properties",
    ),
    "properties over 16 KiB": ({**GOOD, "properties": {"blob": "x" * 16_400}}, "properties"),
    "properties over 16 KiB in UTF-8": (
        {**GOOD, "properties": {"blob": "あ" * 5_500}},  # 16,500 bytes, 5,500 characters
        "properties",
    ),
    "occurred_at without a timezone": (
        {**GOOD, "occurred_at": "2026-01-15T10:00:00"},
        "occurred_at",
    ),
    "occurred_at a date": ({**GOOD, "occurred_at": "2026-01-15"}, "occurred_at"),
    "occurred_at not a time": ({**GOOD, "occurred_at": "yesterday"}, "occurred_at"),
    "occurred_at an hour ahead": ({**GOOD, "occurred_at": future(60)}, "occurred_at"),
    "occurred_at a year ahead": ({**GOOD, "occurred_at": future(365 * 24 * 60)}, "occurred_at"),
    "unknown field": ({**GOOD, "colour": "red"}, "colour"),
    "misspelt field": ({**without("properties"), "props": {"sku": "A-100"}}, "props"),
    "body a list": ([GOOD], "(body)"),
    "body a string": ("purchase", "(body)"),
}


@pytest.mark.parametrize(("body", "path"), REFUSED.values(), ids=REFUSED.keys())
async def test_refused_with_the_field_path_and_nothing_recorded(shared, body, path):
    before = await count(shared, Event)
    answer = await shared.api.post("/events", json=body)
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert path in [problem["path"] for problem in detail], detail
    assert all(set(problem) == {"path", "msg", "type"} for problem in detail)
    assert await count(shared, Event) == before


async def test_more_than_five_minutes_ahead_is_refused(shared):
    before = await count(shared, Event)
    answer = await shared.api.post("/events", json={**GOOD, "occurred_at": future(6)})
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"] == [
        {"path": "occurred_at", "msg": "must not be in the future", "type": "value_error"}
    ]
    assert await count(shared, Event) == before


async def test_an_empty_property_name_is_refused(shared):
    before = await count(shared, Event)
    answer = await shared.api.post("/events", json={**GOOD, "properties": {"": 1}})
    assert answer.status_code == 422
    (problem,) = answer.json()["detail"]
    # the key is "", so the path is `properties` followed by an empty key
    assert problem["path"].startswith("properties")
    assert problem["type"] == "string_too_short"
    assert await count(shared, Event) == before


async def test_too_large_properties_say_the_limit(shared):
    answer = await shared.api.post("/events", json={**GOOD, "properties": {"blob": "x" * 17_000}})
    assert answer.status_code == 422
    (problem,) = answer.json()["detail"]
    assert problem["path"] == "properties"
    assert "16 KiB" in problem["msg"]


async def test_every_bad_field_is_reported_at_once(shared):
    before = await count(shared, Event)
    answer = await shared.api.post(
        "/events",
        json={"user_id": "nobody", "name": "page view", "properties": [], "occurred_at": "x"},
    )
    assert answer.status_code == 422
    paths = sorted(problem["path"] for problem in answer.json()["detail"])
    assert paths == ["name", "occurred_at", "properties", "user_id"]
    assert await count(shared, Event) == before


@pytest.mark.parametrize(
    "content",
    [
        '{"user_id": "%s", "name": "purchase", "properties": {"amount": NaN}}',
        '{"user_id": "%s", "name": "purchase", "properties": {"amount": Infinity}}',
        '{"user_id": "%s", "name": "purchase", "properties": {"amount": -Infinity}}',
        '{"user_id": "%s", "name": "purchase", "properties": {"note": "a\\u0000b"}}',
        '{"user_id": "%s", "name": "purchase"',
        "",
    ],
    ids=["NaN", "Infinity", "-Infinity", "NUL", "truncated", "empty"],
)
async def test_bad_json_is_refused_and_nothing_recorded(shared, content):
    before = await count(shared, Event)
    answer = await shared.api.post(
        "/events",
        content=content.replace("%s", GOOD["user_id"]),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    assert [problem["path"] for problem in answer.json()["detail"]] == ["(body)"]
    assert await count(shared, Event) == before


async def test_nan_says_it_is_not_json(shared):
    answer = await shared.api.post(
        "/events",
        content=json.dumps({**GOOD, "properties": {"amount": float("nan")}}),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.json()["detail"] == [
        {"path": "(body)", "msg": "not valid JSON: NaN is not a JSON value", "type": "json_invalid"}
    ]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Bearer {ADMIN_TOKEN}x"},
        {"Authorization": f"Basic {ADMIN_TOKEN}"},
    ],
    ids=["missing", "wrong", "longer", "basic"],
)
@pytest.mark.parametrize("body", [GOOD, {"user_id": "nobody"}], ids=["good body", "bad body"])
async def test_the_admin_token_is_needed(shared, headers, body):
    before = await count(shared, Event)
    async with httpx.AsyncClient(base_url=str(shared.api.base_url)) as client:
        answer = await client.post("/events", json=body, headers=headers)
    assert answer.status_code == 401, answer.text
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert answer.json() == {"detail": "missing or wrong bearer token"}
    assert await count(shared, Event) == before


async def test_refusals_leave_the_friend_without_events(shared):
    friend = user(1101)
    for body in (
        {"user_id": friend, "name": ""},
        {"user_id": friend, "name": "purchase", "properties": [1]},
        {"user_id": friend, "name": "purchase", "occurred_at": "2026-01-15T10:00:00"},
        {"user_id": friend, "name": "purchase", "occurred_at": future(30)},
        {"user_id": friend, "name": "purchase", "extra": True},
    ):
        assert (await shared.api.post("/events", json=body)).status_code == 422
    async with httpx.AsyncClient(base_url=str(shared.api.base_url)) as client:
        unauthorised = await client.post("/events", json={"user_id": friend, "name": "purchase"})
    assert unauthorised.status_code == 401
    assert await rows_of(shared, friend) == []
