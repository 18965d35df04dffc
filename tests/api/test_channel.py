"""`/channel/policy` (the channel's delivery policy) and `/channel/quota` (LINE's monthly quota,
read from the emulator through line-bot-sdk, less the policy's reserve)."""

from contextlib import asynccontextmanager

import httpx
import pytest
from pydantic import SecretStr
from sqlmodel import select

from api.app import create_app
from core.serve import serving
from scenarios.policy import ChannelPolicy
from store.tables import ChannelSettings
from tests.support.stack import ADMIN_TOKEN, settings_for

DEFAULTS = {
    "quiet_hours": None,
    "quiet_hours_mode": "hold",
    "skip_weekends": False,
    "skip_holidays": False,
    "holiday_country": "JP",
    "closed_days": [],
    "max_per_day": None,
    "max_per_week": None,
    "catch_up_gap": "PT1M",
    "quota_reserve_percent": 0,
    "message_price_yen": None,
    "free_messages": None,
}
FULL = {
    "quiet_hours": {"start": "21:00", "end": "09:00"},
    "quiet_hours_mode": "silent",
    "skip_weekends": True,
    "skip_holidays": True,
    "holiday_country": "US",
    "closed_days": ["12-29/01-03", "2026-08-14"],
    "max_per_day": 3,
    "max_per_week": 10,
    "catch_up_gap": "PT5M",
    "quota_reserve_percent": 20,
    "message_price_yen": 3.0,
    "free_messages": 5000,
}


async def stored(stack) -> list[dict]:
    async with stack.db.session() as session:
        return [row.policy for row in (await session.exec(select(ChannelSettings))).all()]


@pytest.fixture
async def no_faults(shared):
    await shared.emu.delete("/emulator/faults")
    yield shared
    await shared.emu.delete("/emulator/faults")
    await shared.emu.put("/emulator/quota", json={"monthly_quota": None, "consumption": 0})


async def put_policy(stack, **fields) -> dict:
    answer = await stack.api.put("/channel/policy", json=fields)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def set_quota(stack, monthly_quota: int | None, consumption: int) -> None:
    body = {"monthly_quota": monthly_quota, "consumption": consumption}
    answer = await stack.emu.put("/emulator/quota", json=body)
    assert answer.status_code == 200, answer.text


# --- the policy ---------------------------------------------------------------------------


async def test_defaults_before_any_policy_is_set(stack):
    answer = await stack.api.get("/channel/policy")
    assert answer.status_code == 200, answer.text
    assert answer.json() == DEFAULTS == ChannelPolicy().model_dump(mode="json")
    assert await stored(stack) == []  # reading writes nothing


async def test_a_full_policy_round_trips(stack):
    answer = await stack.api.put("/channel/policy", json=FULL)
    assert answer.status_code == 200, answer.text
    assert answer.json() == FULL
    assert (await stack.api.get("/channel/policy")).json() == FULL
    assert await stored(stack) == [FULL]


async def test_put_replaces_the_whole_policy(stack):
    await put_policy(stack, **FULL)
    # fields left out take their defaults: not a merge with what was there
    answer = await put_policy(stack, skip_weekends=True)
    assert answer == {**DEFAULTS, "skip_weekends": True}
    assert (await stack.api.get("/channel/policy")).json() == answer
    assert await stored(stack) == [answer]
    # an empty body is the defaults, stored
    assert await put_policy(stack) == DEFAULTS
    assert await stored(stack) == [DEFAULTS]


async def test_quiet_hours_can_be_removed_again(shared):
    await put_policy(shared, quiet_hours={"start": "12:00", "end": "13:00"})
    assert (await shared.api.get("/channel/policy")).json()["quiet_hours"] == {
        "start": "12:00",
        "end": "13:00",
    }
    assert (await put_policy(shared, quiet_hours=None))["quiet_hours"] is None
    assert (await shared.api.get("/channel/policy")).json()["quiet_hours"] is None


ACCEPTED = {
    "quiet all but a minute": {"quiet_hours": {"start": "00:00", "end": "23:59"}},
    "gap 1 s": {"catch_up_gap": "PT1S"},
    "gap 1 day": {"catch_up_gap": "P1D"},
    "gap 24 h": {"catch_up_gap": "PT24H"},
    "caps at 1": {"max_per_day": 1, "max_per_week": 1},
    "caps at most": {"max_per_day": 1000, "max_per_week": 10_000},
    "reserve 90": {"quota_reserve_percent": 90},
    "GB": {"holiday_country": "GB"},
    "free of charge": {"message_price_yen": 0.0, "free_messages": 0},
    "a fraction of a yen": {"message_price_yen": 2.75, "free_messages": 30_000},
    "the dearest": {"message_price_yen": 1000.0, "free_messages": 100_000_000},
}


@pytest.mark.parametrize("fields", ACCEPTED.values(), ids=ACCEPTED.keys())
async def test_edges_that_are_accepted(shared, fields):
    answer = await put_policy(shared, **fields)
    assert answer == {**DEFAULTS, **fields}
    assert (await shared.api.get("/channel/policy")).json() == answer


async def test_json_booleans_in_other_spellings_are_stored_as_booleans(shared):
    answer = await put_policy(shared, skip_weekends=1, skip_holidays="true")
    assert answer == {**DEFAULTS, "skip_weekends": True, "skip_holidays": True}


BAD = [
    ({"quiet_hours": {"start": "25:00", "end": "09:00"}}, "quiet_hours.start", "value_error"),
    ({"quiet_hours": {"start": "9:00", "end": "21:00"}}, "quiet_hours.start", "value_error"),
    ({"quiet_hours": {"start": "21:00", "end": "9"}}, "quiet_hours.end", "value_error"),
    ({"quiet_hours": {"start": "21:00", "end": "24:00"}}, "quiet_hours.end", "value_error"),
    ({"quiet_hours": {"start": "21:00"}}, "quiet_hours.end", "missing"),
    ({"quiet_hours": {"start": 21, "end": "09:00"}}, "quiet_hours.start", "string_type"),
    ({"quiet_hours": {"start": "21:00", "end": "21:00"}}, "quiet_hours", "value_error"),
    (
        {"quiet_hours": {"start": "21:00", "end": "09:00", "days": 5}},
        "quiet_hours.days",
        "extra_forbidden",
    ),
    ({"quiet_hours": "21:00-09:00"}, "quiet_hours", "model_attributes_type"),
    ({"skip_weekends": "sometimes"}, "skip_weekends", "bool_parsing"),
    ({"skip_holidays": None}, "skip_holidays", "bool_type"),
    ({"holiday_country": "jp"}, "holiday_country", "string_pattern_mismatch"),
    ({"holiday_country": "JPN"}, "holiday_country", "string_pattern_mismatch"),
    ({"holiday_country": "XX"}, "holiday_country", "value_error"),
    ({"holiday_country": None}, "holiday_country", "string_type"),
    ({"max_per_day": 0}, "max_per_day", "greater_than_equal"),
    ({"max_per_day": 1001}, "max_per_day", "less_than_equal"),
    ({"max_per_day": 1.5}, "max_per_day", "int_from_float"),
    ({"max_per_day": "many"}, "max_per_day", "int_parsing"),
    ({"max_per_week": 0}, "max_per_week", "greater_than_equal"),
    ({"max_per_week": 10_001}, "max_per_week", "less_than_equal"),
    ({"catch_up_gap": "1 minute"}, "catch_up_gap", "value_error"),
    ({"catch_up_gap": "PT0S"}, "catch_up_gap", "value_error"),
    ({"catch_up_gap": "P2D"}, "catch_up_gap", "value_error"),
    ({"catch_up_gap": 60}, "catch_up_gap", "string_type"),
    ({"quota_reserve_percent": -1}, "quota_reserve_percent", "greater_than_equal"),
    ({"quota_reserve_percent": 91}, "quota_reserve_percent", "less_than_equal"),
    ({"quota_reserve_percent": None}, "quota_reserve_percent", "int_type"),
    ({"quiet_hour": {"start": "21:00", "end": "09:00"}}, "quiet_hour", "extra_forbidden"),
    ({"quiet_hours_mode": "mute"}, "quiet_hours_mode", "literal_error"),
    ({"closed_days": ["12-31", "2026-02-30"]}, "closed_days[1]", "value_error"),
    ({"closed_days": ["12-31/2027-01-03"]}, "closed_days[0]", "value_error"),
    ({"closed_days": "12-31"}, "closed_days", "tuple_type"),
    ({"closed_days": ["12-31"] * 101}, "closed_days", "too_long"),
    ({"message_price_yen": -0.5}, "message_price_yen", "greater_than_equal"),
    ({"message_price_yen": 1000.5}, "message_price_yen", "less_than_equal"),
    ({"message_price_yen": "three"}, "message_price_yen", "float_parsing"),
    ({"message_price_yen": [3]}, "message_price_yen", "float_type"),
    ({"free_messages": -1}, "free_messages", "greater_than_equal"),
    ({"free_messages": 100_000_001}, "free_messages", "less_than_equal"),
    ({"free_messages": 200.5}, "free_messages", "int_from_float"),
    ({"free_messages": "lots"}, "free_messages", "int_parsing"),
]


@pytest.mark.parametrize(("body", "path", "kind"), BAD, ids=[f"{p}:{k}" for _, p, k in BAD])
async def test_each_mistake_is_a_422_naming_the_field(shared, body, path, kind):
    stack = shared
    await put_policy(stack, **FULL)
    answer = await stack.api.put("/channel/policy", json={**FULL, **body})
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert [(problem["path"], problem["type"]) for problem in detail] == [(path, kind)], detail
    assert all(problem["msg"] for problem in detail)
    assert not detail[0]["msg"].startswith("Value error")
    # nothing written: the stored policy is the one before
    assert await stored(stack) == [FULL]
    assert (await stack.api.get("/channel/policy")).json() == FULL


async def test_the_messages_say_what_is_wrong(shared):
    cases = {
        "holiday_country": ({"holiday_country": "XX"}, "no holiday calendar for 'XX'"),
        "quiet_hours.start": ({"quiet_hours": {"start": "25:00", "end": "09:00"}}, "HH:MM"),
        "quiet_hours": ({"quiet_hours": {"start": "21:00", "end": "21:00"}}, "must differ"),
        "catch_up_gap": ({"catch_up_gap": "P2D"}, "between 1 second (PT1S) and 1 days"),
        "closed_days[0]": ({"closed_days": ["2026-12-31/2026-12-01"]}, "ends before it starts"),
    }
    for path, (body, words) in cases.items():
        answer = await shared.api.put("/channel/policy", json=body)
        assert answer.status_code == 422, answer.text
        (problem,) = answer.json()["detail"]
        assert problem["path"] == path
        assert words in problem["msg"], problem


async def test_several_mistakes_are_all_reported(stack):
    answer = await stack.api.put(
        "/channel/policy",
        json={"max_per_day": 0, "catch_up_gap": "soon", "quota_reserve_percent": 95},
    )
    assert answer.status_code == 422
    paths = sorted(problem["path"] for problem in answer.json()["detail"])
    assert paths == ["catch_up_gap", "max_per_day", "quota_reserve_percent"]
    assert await stored(stack) == []


@pytest.mark.parametrize(
    "content",
    [b"", b"not json", b'{"max_per_day": NaN}', b"[]", b'"policy"', b"null"],
    ids=["empty", "not json", "NaN", "array", "string", "null"],
)
async def test_a_body_that_is_not_a_policy_object_is_a_422(stack, content):
    answer = await stack.api.put(
        "/channel/policy", content=content, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 422, answer.text
    assert [problem["path"] for problem in answer.json()["detail"]] == ["(body)"]
    assert await stored(stack) == []


async def test_without_the_admin_token_nothing_is_read_or_written(stack):
    async with httpx.AsyncClient(base_url=str(stack.api.base_url)) as anonymous:
        for method, path, body in (
            ("GET", "/channel/policy", None),
            ("PUT", "/channel/policy", FULL),
            ("GET", "/channel/quota", None),
        ):
            for headers in ({}, {"Authorization": "Bearer wrong"}):
                answer = await anonymous.request(method, path, json=body, headers=headers)
                assert answer.status_code == 401, f"{method} {path}: {answer.text}"
                assert answer.json() == {"detail": "missing or wrong bearer token"}
    assert await stored(stack) == []
    assert stack.emulator.calls["quota"] == 0


# --- the quota ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "used", "reserve", "remaining", "available"),
    [
        (1000, 0, 0, 1000, 1000),
        (1000, 100, 20, 900, 700),  # 800 for steps, 100 of them used
        (1000, 800, 20, 200, 0),  # the reserve is all that is left
        (1000, 850, 20, 150, 0),  # manual broadcasts ate into the reserve: never below 0
        (999, 0, 10, 999, 899),  # 899.1 rounds down
        (1001, 1, 33, 1000, 669),  # 670.67 → 670, less 1
        (200, 250, 0, 0, 0),  # more used than the limit (it was lowered): 0, not negative
        (0, 0, 0, 0, 0),
        (15_000, 3, 90, 14_997, 1497),
    ],
)
async def test_a_limited_plan_and_the_reserve(
    no_faults, limit, used, reserve, remaining, available
):
    stack = no_faults
    await put_policy(stack, quota_reserve_percent=reserve)
    await set_quota(stack, limit, used)
    answer = await stack.api.get("/channel/quota")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "type": "limited",
        "limit": limit,
        "used": used,
        "remaining": remaining,
        "reserve_percent": reserve,
        "available_to_steps": available,
    }


async def test_the_quota_is_read_from_line_each_time(no_faults):
    stack = no_faults
    await put_policy(stack, quota_reserve_percent=10)
    await set_quota(stack, 500, 10)
    before = (stack.emulator.calls["quota"], stack.emulator.calls["consumption"])
    first = (await stack.api.get("/channel/quota")).json()
    assert (first["used"], first["available_to_steps"]) == (10, 440)
    stack.emulator.consumption = 60  # LINE counted more sends since
    second = (await stack.api.get("/channel/quota")).json()
    assert (second["used"], second["remaining"], second["available_to_steps"]) == (60, 440, 390)
    after = (stack.emulator.calls["quota"], stack.emulator.calls["consumption"])
    assert after == (before[0] + 2, before[1] + 2)


async def test_the_reserve_follows_the_policy(no_faults):
    stack = no_faults
    await set_quota(stack, 1000, 100)
    for reserve, available in ((0, 900), (50, 400), (90, 0)):
        await put_policy(stack, quota_reserve_percent=reserve)
        answer = (await stack.api.get("/channel/quota")).json()
        assert (answer["reserve_percent"], answer["available_to_steps"]) == (reserve, available)


@pytest.mark.parametrize("reserve", [0, 30])
async def test_a_plan_without_a_limit(no_faults, reserve):
    stack = no_faults
    await put_policy(stack, quota_reserve_percent=reserve)
    await set_quota(stack, None, 1234)
    answer = await stack.api.get("/channel/quota")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "type": "none",
        "limit": None,
        "used": 1234,
        "remaining": None,
        "reserve_percent": reserve,
        "available_to_steps": None,
    }


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ({"status": 500, "endpoints": ["quota"]}, "LINE answered 500: An error occurred"),
        (
            {"status": 503, "message": "Service Unavailable", "endpoints": ["consumption"]},
            "LINE answered 503: Service Unavailable",
        ),
        ({"status": 429, "endpoints": ["quota"]}, "LINE answered 429: The API rate limit"),
        ({"status": 401, "endpoints": ["quota"]}, "LINE answered 401: Authentication failed"),
        # aiohttp retries an idempotent GET once on a reused connection LINE closed: drop both
        (
            {"accept_then_drop": True, "times": 2, "endpoints": ["quota"]},
            "LINE could not be reached: ",
        ),
    ],
    ids=["500", "503 on consumption", "429", "401", "dropped connection"],
)
async def test_line_errors_are_a_502_with_lines_message(no_faults, fault, words):
    stack = no_faults
    await set_quota(stack, 1000, 5)
    queued = await stack.emu.post("/emulator/faults", json=fault)
    assert queued.status_code == 200, queued.text
    answer = await stack.api.get("/channel/quota")
    assert answer.status_code == 502, answer.text
    assert answer.json()["detail"].startswith(words), answer.json()
    if "status" in fault:  # an error answer is not retried: the fault was used up
        assert (await stack.emu.get("/emulator/faults")).json() == []
    await stack.emu.delete("/emulator/faults")  # the next read works
    again = await stack.api.get("/channel/quota")
    assert again.status_code == 200 and again.json()["used"] == 5


async def test_faults_for_pushes_leave_the_quota_alone(no_faults):
    stack = no_faults
    await set_quota(stack, 1000, 5)
    await stack.emu.post("/emulator/faults", json={"status": 500})  # push and multicast
    answer = await stack.api.get("/channel/quota")
    assert answer.status_code == 200, answer.text
    faults = (await stack.emu.get("/emulator/faults")).json()
    assert [(f["status"], f["endpoints"]) for f in faults] == [(500, ["push", "multicast"])]


async def test_an_unknown_fault_endpoint_is_refused_by_the_emulator(shared):
    answer = await shared.emu.post("/emulator/faults", json={"status": 500, "endpoints": ["x"]})
    assert answer.status_code == 422
    answer = await shared.emu.post("/emulator/faults", json={"status": 500, "endpoints": []})
    assert answer.status_code == 422
    assert (await shared.emu.get("/emulator/faults")).json() == []


@asynccontextmanager
async def api_with(ts_env, tmp_path, *, line_api: str, token: SecretStr | None):
    settings = settings_for(
        database_url=f"sqlite:///{tmp_path}/stepline.db", line_api=line_api
    ).model_copy(update={"line_channel_access_token": token})
    app = create_app(settings, temporal=ts_env.client)
    async with serving(app) as url:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
            yield client


async def test_a_wrong_channel_token_is_a_502_naming_lines_answer(ts_env, tmp_path, shared):
    emulator = shared.settings.line_api_base
    async with api_with(ts_env, tmp_path, line_api=emulator, token=SecretStr("wrong")) as client:
        answer = await client.get("/channel/quota")
    assert answer.status_code == 502, answer.text
    assert answer.json() == {
        "detail": "LINE answered 401: Authentication failed. Confirm that the access token "
        "in the authorization header is valid."
    }


async def test_line_unreachable_is_a_502(ts_env, tmp_path):
    closed = "http://127.0.0.1:9"
    async with api_with(ts_env, tmp_path, line_api=closed, token=SecretStr("token")) as client:
        answer = await client.get("/channel/quota")
    assert answer.status_code == 502, answer.text
    assert answer.json()["detail"].startswith("LINE could not be reached: ")


async def test_without_a_channel_token_the_quota_is_a_503(ts_env, tmp_path):
    async with api_with(ts_env, tmp_path, line_api="http://127.0.0.1:9", token=None) as client:
        answer = await client.get("/channel/quota")
        assert answer.status_code == 503, answer.text
        assert "LINE_CHANNEL_ACCESS_TOKEN" in answer.json()["detail"]
        # the policy needs no LINE at all
        assert (await client.get("/channel/policy")).json() == DEFAULTS
        assert (await client.put("/channel/policy", json=FULL)).json() == FULL
