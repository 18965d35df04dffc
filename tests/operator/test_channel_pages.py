"""The channel's page: the policy form checked by `PUT /channel/policy`'s strict model (its
messages on the fields) and the quota as `GET /channel/quota` answers it."""

import pytest

from tests.operator.signed_in import csrf, operator, problem_on

GOOD = {
    "quiet_hours.start": "21:00", "quiet_hours.end": "09:00", "skip_weekends": "true",
    "holiday_country": "JP", "max_per_day": "3", "max_per_week": "", "catch_up_gap": "PT5M",
    "quota_reserve_percent": "10", "closed_days": "12-29/01-03\r\n\r\n 2026-08-14 ",
    "message_price_yen": "2.5", "free_messages": "5000",
}  # fmt: skip


async def test_the_policy_is_saved_and_the_quota_shown(shared):
    await shared.emu.put("/emulator/quota", json={"monthly_quota": 1000, "consumption": 250})
    async with operator(shared) as client:
        saved = await client.post("/dashboard/channel/policy", data={"csrf": csrf(client), **GOOD})
        assert (
            saved.status_code == 303 and saved.headers["location"] == "/dashboard/channel?saved=1"
        )
        policy = (await shared.api.get("/channel/policy")).json()
        assert policy == {
            "quiet_hours": {"start": "21:00", "end": "09:00"}, "quiet_hours_mode": "hold",
            "skip_weekends": True,
            "skip_holidays": False, "holiday_country": "JP",
            "closed_days": ["12-29/01-03", "2026-08-14"], "max_per_day": 3,
            "max_per_week": None, "catch_up_gap": "PT5M", "quota_reserve_percent": 10,
            "message_price_yen": 2.5, "free_messages": 5000,
        }  # fmt: skip
        page = await client.get("/dashboard/channel?saved=1")
        quota = (await shared.api.get("/channel/quota")).json()
        assert quota["available_to_steps"] == 650
        assert 'data-quota="used">250<' in page.text
        assert (
            'data-quota="available">650<' in page.text and 'data-quota="reserve">10%<' in page.text
        )
        assert 'value="21:00"' in page.text and "op-saved" in page.text
        assert ">12-29/01-03\n2026-08-14</textarea>" in page.text  # one a line, as saved
        assert 'name="message_price_yen" type="text" value="2.5"' in page.text
        assert 'name="free_messages" type="number" value="5000"' in page.text
        cleared = await client.post("/dashboard/channel/policy", data={"csrf": csrf(client)})
        assert cleared.status_code == 303  # every field empty: the defaults
        policy = (await shared.api.get("/channel/policy")).json()
        cleared_fields = ("quiet_hours", "message_price_yen", "free_messages")
        assert [policy[name] for name in cleared_fields] == [None, None, None]


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("quiet_hours.start", "25:00", "24-hour time"),
        ("quiet_hours.end", "", "24-hour time"),
        ("max_per_day", "0", "greater than or equal to 1"),
        ("max_per_week", "many", "valid integer"),
        ("holiday_country", "XX", "no holiday calendar"),
        ("catch_up_gap", "P2D", "between 1 second (PT1S) and 1 days (P1D)"),
        ("quota_reserve_percent", "95", "less than or equal to 90"),
        ("closed_days", "12-31\n2026-12-31/2026-12-01", "ends before it starts"),
        ("message_price_yen", "-1", "greater than or equal to 0"),
        ("message_price_yen", "3 yen", "valid number"),
        ("message_price_yen", "nan", "finite number"),
        ("free_messages", "-5", "greater than or equal to 0"),
        ("free_messages", "200.5", "valid integer"),
    ],
)
async def test_bad_input_is_the_form_again_with_the_message_on_its_field(
    shared, field, value, said
):
    before = (await shared.api.get("/channel/policy")).json()
    async with operator(shared) as client:
        answer = await client.post(
            "/dashboard/channel/policy", data={"csrf": csrf(client), **GOOD, field: value}
        )
    assert answer.status_code == 422
    assert said in problem_on(answer.text, field), answer.text
    typed = f">{value}</textarea>" if field == "closed_days" else f'value="{value}"'
    assert typed in answer.text  # as typed
    assert (await shared.api.get("/channel/policy")).json() == before


async def test_start_equal_to_end_is_on_the_quiet_hours(shared):
    async with operator(shared) as client:
        answer = await client.post(
            "/dashboard/channel/policy",
            data={"csrf": csrf(client), "quiet_hours.start": "10:00", "quiet_hours.end": "10:00"},
        )
    assert answer.status_code == 422 and "must differ" in problem_on(answer.text, "quiet_hours")


async def test_the_post_needs_the_token(shared):
    async with operator(shared) as client:
        refused = await client.post("/dashboard/channel/policy", data=GOOD)
        assert refused.status_code == 403


async def test_the_pages_speak_japanese(shared):
    async with operator(shared) as client:
        client.headers["accept-language"] = "ja"
        channel = await client.get("/dashboard/channel")
        audiences = await client.get("/dashboard/audiences")
        importing = await client.get("/dashboard/friends/import")
    assert channel.status_code == audiences.status_code == importing.status_code == 200
    assert "配信ポリシー" in channel.text and "オーディエンスを作成" in audiences.text
    assert "ファイルを送信中: {n}%" in audiences.text and "ファイルを確認" in importing.text
