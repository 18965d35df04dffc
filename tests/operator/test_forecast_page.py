"""The channel page's quota forecast (api/dashboard/forecast_chart.py): the months against the
plan, an inline SVG with a bar for each day, the days as a table, and a warning at the top of
the page when the plan is projected to run out — in Japanese too; a forecast that fails
leaves the rest of the page alone."""

import re

from app import forecast
from tests.api.helpers import enrollment_at
from tests.api.test_quota_forecast import PUSHES, later_pushes
from tests.operator.signed_in import operator
from tests.support.stack import user

BAR = re.compile(r'<rect class="forecast-bar" data-date="([0-9-]+)"[^>]* height="([0-9.]+)"')


async def test_the_page_draws_the_forecast_and_warns_when_the_plan_runs_out(shared):
    scenario_id = await shared.scenario(later_pushes())
    friend = user(0x61)
    await shared.follow(friend)
    await enrollment_at(shared, scenario_id, friend, "day")
    await shared.emu.put("/emulator/quota", json={"monthly_quota": 1000, "consumption": 0})
    api = (await shared.api.get("/channel/quota/forecast")).json()
    (pushed,) = [day["date"] for day in api["days"] if day["projected"]]
    async with operator(shared) as client:
        page = (await client.get("/dashboard/channel")).text
        assert '<h2 id="forecast">Quota forecast</h2>' in page
        assert 'id="forecast-alert"' not in page and 'id="forecast-problem"' not in page
        assert "Limit: 1,000 messages a month; step delivery may send 1,000" in page
        assert "Used this month: 0, as LINE counts." in page
        for month in api["months"]:
            assert f'<tr data-month="{month["month"]}">' in page
        svg = page[page.index('<svg id="forecast-chart"') : page.index("</svg>")]
        assert 'role="img"' in svg and "aria-label=" in svg and "<script" not in svg
        bars = BAR.findall(svg)
        assert [day for day, _ in bars] == [day["date"] for day in api["days"]]  # one a day
        heights = {day: float(height) for day, height in bars}
        assert heights[pushed] > 0 and sum(heights.values()) == heights[pushed]
        assert svg.count('class="forecast-limit"') == 1  # the plan's line
        assert svg.count('class="forecast-boundary"') == 1  # where next month begins
        assert svg.count('class="forecast-total"') == 2  # each month's running total
        table = page[page.index('<details id="forecast-days">') : page.index("</details>")]
        assert table.count("<tr data-date=") == len(api["days"])
        assert f'<tr data-date="{pushed}"><td>{pushed}</td><td>{PUSHES}</td>' in table

        await shared.emu.put("/emulator/quota", json={"monthly_quota": 10, "consumption": 9})
        page = (await client.get("/dashboard/channel")).text
        alert = re.search(r'<p class="op-summary" role="alert" id="forecast-alert">(.*?)</p>', page)
        assert alert, page
        assert f"projected to run out on {pushed}" in alert.group(1)
        assert page.index('id="forecast-alert"') < page.index('<h2 id="quota">')  # at the top
        assert f"The plan is projected to run out on {pushed}." in svg_of(page)
        assert "Limit: 10 messages a month" in page

        client.headers["accept-language"] = "ja"
        japanese = (await client.get("/dashboard/channel")).text
    assert '<h2 id="forecast">メッセージ通数の見込み</h2>' in japanese
    assert f"プランの 10 通は {pushed} に使い切る見込みです" in japanese
    assert "日ごとの表" in japanese and "月の合計" in japanese


def svg_of(page: str) -> str:
    return page[page.index('<svg id="forecast-chart"') : page.index("</svg>")]


async def test_a_failed_forecast_leaves_the_page(shared, monkeypatch, caplog):
    async def broken(*args, **kwargs):
        raise RuntimeError("the database is unreachable")

    monkeypatch.setattr(forecast, "forecast", broken)
    await shared.emu.put("/emulator/quota", json={"monthly_quota": 1000, "consumption": 0})
    async with operator(shared) as client:
        answer = await client.get("/dashboard/channel")
    assert answer.status_code == 200
    assert 'id="forecast-problem"' in answer.text and "<svg" not in answer.text
    assert 'data-quota="limit">1,000<' in answer.text  # the quota is still shown
    assert 'id="policy-form"' in answer.text
    assert "quota forecast failed" in caplog.text
