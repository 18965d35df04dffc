"""`stepline friend show` writes each timeline row's time in its own scenario's timezone, and
the rows of no scenario (the follow) in the channel's, each with its zone named."""

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

from tests.api.helpers import scenario, text
from tests.cli.test_cli_insight import stepline, table
from tests.support.stack import user

ZONES = {"Asia/Tokyo": ("JST",), "America/New_York": ("EST", "EDT"), "UTC": ("UTC",)}


async def until_sent(stack, friend: str, scenario_ids: set[str], timeout: float = 10.0) -> list:
    """The friend's timeline once each scenario's message is on it as sent."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        entries = (await stack.api.get(f"/friends/{friend}/timeline")).json()["entries"]
        if {e["scenario_id"] for e in entries if e["kind"] == "sent"} >= scenario_ids:
            return entries
        assert asyncio.get_running_loop().time() < deadline, entries
        await asyncio.sleep(0.05)


async def test_friend_show_writes_each_row_in_its_scenarios_zone(stack, env):
    tokyo = await stack.scenario(scenario(text("hi", "Hi"), name="tokyo"))
    new_york = await stack.scenario(
        scenario(text("hello", "Hello"), name="new york", timezone="America/New_York")
    )
    zone_of = {tokyo: "Asia/Tokyo", new_york: "America/New_York", None: "UTC"}
    friend = user(640)
    await stack.follow(friend)
    entries = await until_sent(stack, friend, {tokyo, new_york})

    # the channel's zone is UTC here: neither the scenarios' nor (Tokyo) the default
    result = await stepline(env | {"STEPLINE_TIMEZONE": "UTC"}, "friend", "show", friend)
    assert result.exit_code == 0, result.output
    rows = table(result.output, "Timeline")
    assert len(rows) == len(entries)
    seen = set()
    for row, entry in zip(rows, entries, strict=True):
        scenario_id = entry.get("scenario_id")
        assert row["SCENARIO"] == (scenario_id or "-") and row["KIND"] == entry["kind"]
        name = zone_of[scenario_id]
        local = datetime.fromisoformat(entry["at"]).astimezone(ZoneInfo(name))
        assert row["AT"] == local.strftime("%Y-%m-%d %H:%M:%S %Z"), (row, entry)
        assert row["AT"].rsplit(" ", 1)[1] in ZONES[name]
        seen.add(name)
    assert seen == set(ZONES)  # a row of each: Tokyo's, New York's and the channel's (follow)
    assert rows[0]["KIND"] == "follow" and rows[0]["AT"].endswith(" UTC")
