"""`stepline quota forecast` against a running API: the plan, the months and the days as
`GET /channel/quota/forecast` answers them, and its warning; `--no-days` leaves the days out."""

from tests.api.helpers import enrollment_at
from tests.api.test_quota_forecast import PUSHES, later_pushes
from tests.cli.test_cli_insight import stepline, table
from tests.support.stack import user


async def test_the_forecast_prints_the_plan_months_days_and_warning(stack, env):
    scenario_id = await stack.scenario(later_pushes())
    friend = user(0x71)
    await stack.follow(friend)
    await enrollment_at(stack, scenario_id, friend, "day")
    await stack.emu.put("/emulator/quota", json={"monthly_quota": 10, "consumption": 9})
    api = (await stack.api.get("/channel/quota/forecast")).json()
    (pushed,) = [day["date"] for day in api["days"] if day["projected"]]

    result = await stepline(env, "quota", "forecast")
    assert result.exit_code == 0, result.output
    [plan] = table(result.output, "Plan (this month)")
    assert plan == {
        "limit": "10", "used": "9", "source": "line", "reserve %": "0", "allowed": "10",
    }  # fmt: skip
    months = table(result.output, "Months")
    assert [row["month"] for row in months] == [m["month"] for m in api["months"]]
    ran_out = [row for row in months if row["runs out on"] != "-"]
    assert [row["runs out on"] for row in ran_out] == [pushed]
    assert ran_out[0]["projected"] == str(PUSHES)
    days = table(result.output, "Days (Japan time)")
    assert [row["date"] for row in days] == [day["date"] for day in api["days"]]
    assert {row["date"]: row["projected"] for row in days}[pushed] == f"{PUSHES:.1f}"
    warning = [line for line in result.output.splitlines() if line.startswith("warning: ")]
    assert len(warning) == 1 and f"run out on {pushed}" in warning[0]

    short = await stepline(env, "quota", "forecast", "--no-days")
    assert short.exit_code == 0, short.output
    assert "Days (Japan time)" not in short.output and pushed in short.output  # the months'
    assert table(short.output, "Months") == months and "warning: " in short.output


async def test_a_refused_forecast_is_the_apis_words(stack, env):
    result = await stepline(env | {"STEPLINE_ADMIN_TOKEN": "wrong"}, "quota", "forecast")
    assert result.exit_code == 1
    assert "GET /channel/quota/forecast → 401" in result.output
