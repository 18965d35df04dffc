"""What a step costs (issue 22): with the channel policy's price of a counted message, the stats
show each step's and the scenario's counted messages (pushes) and their cost, the free replies
and what they saved apart, and for a split with a holdout arm and a goal the incremental
conversions and the cost per incremental conversion — in the API, the dashboard and the CLI."""

import asyncio
import io
import re
from datetime import timedelta

import pytest
from rich.console import Console
from typer.testing import CliRunner

from cli.main import app
from cli.stats import render
from scenarios.split import choose_arm
from tests.support.stack import ADMIN_TOKEN, user
from tests.workflows.test_failures import WELCOME, scenario, text

VIP = {
    "id": "vip",
    "type": "branch",
    "branches": [{"label": "vip", "when": {"tag": "vip"}, "steps": [text("gift", "A gift")]}],
    "otherwise": [],
}
OFFER = {
    "id": "offer",
    "type": "split",
    "arms": [
        {"label": "sale", "weight": 1, "steps": [text("sale", "10% off today"), VIP]},
        {"label": "holdout", "weight": 1, "steps": []},
    ],
}
COSTS = scenario(
    WELCOME, OFFER, text("bye", "See you"), goal={"event": "purchase", "within": "P7D"}
)
PRICE = 2.5


def friends_in(scenario_id: str, arm: int, count: int, start: int) -> list[str]:
    """`count` friends the split `offer` puts in `arm` (0 sale, 1 holdout)."""
    found, n = [], start
    while len(found) < count:
        if choose_arm([1, 1], scenario_id=scenario_id, step_id="offer", user_id=user(n)) == arm:
            found.append(user(n))
        n += 1
    return found


async def buy(stack, friend: str) -> None:
    """A purchase after the split's decision: the workflows' clock (the decisions') runs ahead
    of this one by the time the test server skipped, well within the 5 minutes an event may be
    ahead."""
    at = await stack.env.get_current_time() + timedelta(seconds=1)
    body = {"user_id": friend, "name": "purchase", "occurred_at": at.isoformat()}
    answer = await stack.api.post("/events", json=body)
    assert answer.status_code == 201, answer.text


async def stats_of(stack, scenario_id: str, sent: int) -> dict:
    """The stats once `sent` messages are counted (the store is written just after LINE)."""
    for _ in range(100):
        stats = (await stack.api.get(f"/scenarios/{scenario_id}/stats")).json()
        if stats["messages_sent"] >= sent:
            return stats
        await asyncio.sleep(0.1)
    raise AssertionError(stats)


async def test_counted_messages_costs_replies_and_the_holdouts_incremental_conversions(stack):
    answer = await stack.api.put(
        "/channel/policy", json={"message_price_yen": PRICE, "free_messages": 200}
    )
    assert answer.status_code == 200, answer.text
    scenario_id = await stack.scenario(COSTS)
    sale = friends_in(scenario_id, 0, 4, start=0xC00)
    held = friends_in(scenario_id, 1, 2, start=0xC00)
    await stack.api.post(f"/friends/{sale[0]}/tags", json={"tags": ["vip"]})
    for friend in sale + held:
        await stack.follow(friend)
        assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert [r["via"] for r in await stack.received(sale[0])] == ["reply", "push", "push", "push"]
    assert [r["via"] for r in await stack.received(held[0])] == ["reply", "push"]
    for friend in (*sale[:3], held[0]):  # 3 of 4 treated, 1 of 2 held out
        await buy(stack, friend)

    # welcome: 6 replies; sale 4, gift 1 (nested in the arm), bye 6 pushes
    stats = await stats_of(stack, scenario_id, sent=17)
    assert (stats["messages_sent"], stats["replies"], stats["counted"]) == (17, 6, 11)
    assert stats["message_price_yen"] == PRICE
    assert (stats["cost_yen"], stats["saved_yen"]) == (27.5, 15.0)
    by_step = {
        row["id"]: (row["sent"], row["replies"], row["counted"], row["cost_yen"], row["saved_yen"])
        for row in stats["steps"]
    }
    assert by_step == {
        "welcome": (6, 6, 0, 0.0, 15.0),
        "offer": (0, 0, 0, 0.0, 0.0),
        "sale": (4, 0, 4, 10.0, 0.0),
        "vip": (0, 0, 0, 0.0, 0.0),
        "gift": (1, 0, 1, 2.5, 0.0),
        "bye": (6, 0, 6, 15.0, 0.0),
    }
    assert stats["holdouts"] == [
        {
            "step": "offer",
            "holdout": "holdout",
            "holdout_taken": 2,
            "holdout_conversions": 1,
            "holdout_rate": 0.5,
            "treated": ["sale"],
            "treated_taken": 4,
            "treated_conversions": 3,
            "treated_rate": 0.75,
            "incremental_conversions": 1.0,  # 3 − 0.5 × 4
            "counted": 5,  # sale and gift: not the welcome nor the bye everyone gets
            "cost_yen": 12.5,
            "cost_per_incremental_conversion": 12.5,
        }
    ]

    # the dashboard's scenario page
    page = await stack.api.get(f"/dashboard/scenarios/{scenario_id}")
    assert page.status_code == 200, page.text
    totals = {"counted": "11", "replies": "6", "cost_yen": "¥27.50", "saved_yen": "¥15"}
    for key, shown in totals.items():
        assert f'data-cost="{key}">{shown}<' in page.text, key
    assert re.search(r'data-cost-step="gift">.*?data-count="cost_yen">¥2\.50<', page.text, re.S)
    holdout = page.text.split('data-holdout="offer/holdout"')[1].split("</tr>")[0]
    for key, shown in {
        "incremental_conversions": "1",
        "counted": "5",
        "cost_yen": "¥12.50",
        "cost_per_incremental_conversion": "¥12.50",
        "holdout_rate": "50.0%",
        "treated_rate": "75.0%",
    }.items():
        assert f'data-count="{key}">{shown}<' in holdout, key

    # the CLI, against the API
    env = {
        "STEPLINE_PUBLIC_URL": str(stack.api.base_url),
        "STEPLINE_ADMIN_TOKEN": ADMIN_TOKEN,
        "LINE_API_BASE_URL": str(stack.emu.base_url),
        "COLUMNS": None,  # as from a pipe
    }
    result = await asyncio.to_thread(CliRunner().invoke, app, ["stats", scenario_id], env=env)
    assert result.exit_code == 0, result.output
    [totals] = table(result.output, "Messages and costs (replies are free)")
    assert totals == {
        "MESSAGES SENT": "17",
        "REPLIES": "6",
        "COUNTED": "11",
        "MESSAGE PRICE YEN": "¥2.50",
        "COST YEN": "¥27.50",
        "SAVED YEN": "¥15",
    }
    steps = {row["ID"]: row for row in table(result.output, "Steps")}
    assert (steps["bye"]["COUNTED"], steps["bye"]["COST YEN"]) == ("6", "¥15")
    assert (steps["welcome"]["REPLIES"], steps["welcome"]["SAVED YEN"]) == ("6", "¥15")
    [added] = table(result.output, "What the sends added (against the holdout)")
    assert added == {
        "STEP": "offer",
        "HOLDOUT": "holdout",
        "INCREMENTAL CONVERSIONS": "1",
        "COUNTED": "5",
        "COST YEN": "¥12.50",
        "COST PER INCREMENTAL CONVERSION": "¥12.50",
    }
    [arms] = table(result.output, "Holdouts")
    assert (arms["HOLDOUT RATE"], arms["TREATED"], arms["TREATED RATE"]) == (
        "50.0%",
        "sale",
        "75.0%",
    )

    # the CSV: each step's replies, counted messages and costs
    csv = (await stack.api.get(f"/scenarios/{scenario_id}/stats", params={"format": "csv"})).text
    header, *rows = csv.removeprefix("\ufeff").splitlines()
    assert header.endswith(",p_value,replies,counted,cost_yen,saved_yen")
    assert "step,sale,message,,4,4,0,0,0,3,0,,,,0,4,10.0,0.0" in rows


async def test_without_a_price_the_counts_stand_and_every_cost_is_null(stack):
    scenario_id = await stack.scenario(COSTS)
    held = friends_in(scenario_id, 1, 1, start=0xD00)
    sale = friends_in(scenario_id, 0, 1, start=0xD00)
    for friend in held + sale:
        await stack.follow(friend)
        assert (await stack.outcome(scenario_id, friend)).status == "completed"
    stats = await stats_of(stack, scenario_id, sent=5)
    assert (stats["counted"], stats["replies"], stats["message_price_yen"]) == (3, 2, None)
    assert (stats["cost_yen"], stats["saved_yen"]) == (None, None)
    assert {row["cost_yen"] for row in stats["steps"]} == {None}
    [holdout] = stats["holdouts"]
    assert (holdout["incremental_conversions"], holdout["counted"]) == (0.0, 1)  # 0 − 0 × 1
    assert (holdout["cost_yen"], holdout["cost_per_incremental_conversion"]) == (None, None)
    page = await stack.api.get(f"/dashboard/scenarios/{scenario_id}")
    assert 'id="no-price"' in page.text and 'data-cost="cost_yen">—<' in page.text

    # no goal: no holdouts
    no_goal = await stack.scenario({k: v for k, v in COSTS.items() if k != "goal"})
    friend = user(0xD80)
    await stack.follow(friend)
    assert (await stack.outcome(no_goal, friend)).status == "completed"
    assert (await stack.api.get(f"/scenarios/{no_goal}/stats")).json()["holdouts"] == []


def table(output: str, title: str) -> list[dict[str, str]]:
    """The rows under `title` as {HEADER: cell} (columns are two or more spaces apart)."""
    lines = output.splitlines()
    start = next(n for n, line in enumerate(lines) if line.strip() == title)
    body = lines[start + 1 :]
    headers = re.split(r"\s{2,}", body[0].strip())
    rows = []
    for line in body[2:]:  # past the rule under the header
        if not line.strip():
            break
        rows.append(dict(zip(headers, re.split(r"\s{2,}", line.strip()), strict=True)))
    return rows


@pytest.mark.parametrize("price", [None, 3.0])
def test_the_cli_leaves_the_costs_out_without_a_price(price):
    data = {
        "enrolled": 2,
        "messages_sent": 3,
        "replies": 2,
        "counted": 1,
        "message_price_yen": price,
        "cost_yen": None if price is None else 3.0,
        "saved_yen": None if price is None else 6.0,
        "steps": [],
        "branches": [],
    }
    out = Console(file=io.StringIO(), width=200, record=True)
    render(data, out, scenario_id="scn_x")
    text_ = out.export_text()
    [costs] = table(text_, "Messages and costs (replies are free)")
    if price is None:
        assert costs == {"MESSAGES SENT": "3", "REPLIES": "2", "COUNTED": "1"}
        assert "costs: unknown until the channel policy sets message_price_yen" in text_
    else:
        assert (costs["COST YEN"], costs["SAVED YEN"], costs["MESSAGE PRICE YEN"]) == (
            "¥3",
            "¥6",
            "¥3",
        )
    assert "Holdouts" not in text_
