"""The burst at a window's opening keeps working (bench/burst.py): the stand-in's LINE limits,
the moment T and the scenario that holds everyone until it, the table in docs/PERFORMANCE.md,
and a small run of the very command the document gives."""

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.burst import definition, release_moment
from bench.burst_report import table, write_doc
from bench.standin import StandIn
from cli.devstate import ROOT

MESSAGES = [{"type": "text", "text": "hi"}]


def _line(standin: StandIn) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=standin), base_url="http://line")


async def test_the_stand_in_refuses_requests_beyond_lines_rate_limits_with_a_429() -> None:
    async with _line(StandIn(push_limit=3, multicast_limit=2)) as line:
        pushes = [
            await line.post("/v2/bot/message/push", json={"to": f"U{n}", "messages": MESSAGES})
            for n in range(4)
        ]
        body = {"to": ["U1", "U2"], "messages": MESSAGES}
        multicasts = [await line.post("/v2/bot/message/multicast", json=body) for _ in range(3)]
        assert [answer.status_code for answer in pushes] == [200, 200, 200, 429]
        assert [answer.status_code for answer in multicasts] == [200, 200, 429]  # its own limit
        assert multicasts[-1].json() == {
            "message": "The API rate limit has been exceeded. Try again later."
        }
        stats = (await line.get("/bench/stats")).json()
        assert stats["limits"] == {"push": 3, "multicast": 2}
        assert stats["endpoints"]["push"] | {"invalid": 0} == {
            "requests": 4, "accepted": 3, "conflicts": 0, "limited": 1, "invalid": 0,
        }  # fmt: skip
        assert stats["endpoints"]["multicast"]["limited"] == 1
        assert stats["recipients"] == 3 + 2 * 2  # one arrival per recipient


async def test_lines_default_limits_are_2000_pushes_and_200_multicasts_a_second() -> None:
    standin = StandIn()
    assert standin.limits == {"push": 2000, "multicast": 200}
    async with _line(standin) as line:
        body = {"to": ["U1"], "messages": MESSAGES}
        answers = [await line.post("/v2/bot/message/multicast", json=body) for _ in range(201)]
    assert [a.status_code for a in answers].count(429) == 1 and answers[-1].status_code == 429


async def test_a_repeated_multicast_key_is_a_409_and_each_recipient_arrives_once() -> None:
    async with _line(StandIn()) as line:
        body = {"to": ["U1", "U2", "U3"], "messages": MESSAGES}
        key = {"X-Line-Retry-Key": "batch-1"}
        first = await line.post("/v2/bot/message/multicast", json=body, headers=key)
        again = await line.post("/v2/bot/message/multicast", json=body, headers=key)
        assert first.status_code == 200 and again.status_code == 409
        assert again.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
        pushes = (await line.get("/bench/pushes")).json()["pushes"]
        request_id = first.headers["x-line-request-id"]
        assert [(p[0], p[1], p[3], p[4]) for p in pushes] == [
            (user, "batch-1", request_id, "multicast") for user in ("U1", "U2", "U3")
        ]
        stats = (await line.get("/bench/stats")).json()["endpoints"]["multicast"]
        assert stats["accepted"] == 1 and stats["conflicts"] == 1
        too_many = {"to": [f"U{n}" for n in range(501)], "messages": MESSAGES}
        assert (await line.post("/v2/bot/message/multicast", json=too_many)).status_code == 400


def test_t_is_a_whole_minute_for_a_window_and_the_window_is_closed_until_then() -> None:
    now = datetime(2026, 12, 6, 9, 58, 10, 500000, tzinfo=UTC).timestamp()
    at = release_moment(70, "window", now=now)
    assert at == datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
    assert release_moment(70, "wait", now=now) == datetime(2026, 12, 6, 9, 59, 21, tzinfo=UTC)
    scenario = definition("aud_1", "window", at)
    assert scenario["timezone"] == "UTC" and scenario["trigger"]["audience"] == "aud_1"
    assert scenario["steps"][0]["window"] == {"start": "10:00", "end": "22:00"}
    waiting = definition("aud_1", "wait", at)["steps"]
    assert waiting[0] == {"id": "until-t", "type": "wait", "until": "2026-12-06T10:00:00+00:00"}
    assert "window" not in waiting[1]


FIGURES = {
    "friends": 10000, "release": "window", "push_rate": 2000.0, "lead_s": 270,
    "run_at": "2026-12-07 01:00 UTC", "machine": "2 cores",
    "modes": {
        mode: {
            "held_s": 180.0, "held_before_t_s": 40.2, "last_arrival_s": 250.0, "deliveries_per_s": 40.0,
            "lateness_p50_s": 120.0, "lateness_p99_s": 245.0, "lateness_max_s": 250.0,
            "friends_reached": 10000, "delivered": 10000, "duplicates": 0, "limited": 0,
            "requests_per_message": ratio,
            "line": {
                "push": {"requests": pushes, "conflicts": 0},
                "multicast": {"requests": multicasts, "conflicts": 1},
            },
            "cpu_percent": {"worker": 95, "server": 60, "api": 10, "line": 1, "machine": 170},
            "backlog_max": 4200,
        }
        for mode, ratio, pushes, multicasts in (("multicast", 0.1, 400, 600), ("push", 1.0, 10000, 0))  # noqa: E501
    },
}  # fmt: skip


def test_the_table_puts_the_two_modes_side_by_side(tmp_path: Path) -> None:
    rows = table(FIGURES).splitlines()
    assert rows[0].startswith("`python -m bench.burst --friends 10000`, 2026-12-07 01:00 UTC")
    assert rows[2] == "| | `STEPLINE_MULTICAST=true` | `STEPLINE_MULTICAST=false` |"
    assert "| LINE requests: push / multicast | 400 / 600 | 10,000 / 0 |" in rows
    assert "| LINE requests per delivered message | 0.100 | 1.000 |" in rows
    doc = tmp_path / "P.md"
    doc.write_text("a\n<!-- burst figures -->\nold\n<!-- /burst figures -->\nb\n")
    write_doc(FIGURES, doc)
    assert "old" not in doc.read_text() and table(FIGURES) in doc.read_text()


def test_a_small_burst(tmp_path: Path) -> None:
    """30 friends held until T and released together, multicast on (CI: a `wait until T`
    holds them, to the second, instead of a window that opens on a whole minute)."""
    result = tmp_path / "burst.json"
    command = [
        sys.executable, "-m", "bench.burst", "--friends", "30", "--mode", "multicast",
        "--release", "wait", "--lead", "8", "--result", str(result),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    figures = json.loads(result.read_text())
    run = figures["modes"]["multicast"]
    assert run["friends_reached"] == 30 and run["delivered"] == 30 and run["duplicates"] == 0
    assert run["held_before_t"] == 30 and run["limited"] == 0
    assert run["line"]["multicast"]["accepted"] >= 1 and run["requests_per_message"] < 1
    for figure in ("last_arrival_s", "deliveries_per_s", "lateness_p50_s", "lateness_p99_s"):
        assert run[figure] is not None and run[figure] >= 0, figure
    assert run["cpu_percent"]["worker"] >= 0 and run["busiest"] in run["cpu_percent"]
