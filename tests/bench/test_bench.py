"""The benchmark keeps working: a small run of the very command the README documents, and
the pieces it measures with."""

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from bench.__main__ import ratios, table
from bench.measure import Figures, ack_figures, lateness_figures, percentile
from bench.repeats import median, spread
from bench.standin import StandIn
from cli.devstate import ROOT


def test_percentiles_are_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([3.0], 0.99) == 3.0
    assert percentile([], 0.5) is None


def test_lateness_is_measured_from_the_planned_moment() -> None:
    figures = lateness_figures([100.5, 101.0, 104.0], planned=100.0)
    assert figures["lateness_p50_s"] == 1.0 and figures["lateness_max_s"] == 4.0
    assert figures["deliveries_per_s"] == 0.8  # 3 pushes over the 4 s from T to the last
    assert ack_figures([0.010, 0.020, 0.030])["ack_p99_ms"] == 30.0


async def test_the_stand_in_answers_like_line_and_refuses_a_second_push_of_a_key() -> None:
    transport = httpx.ASGITransport(app=StandIn())
    async with httpx.AsyncClient(transport=transport, base_url="http://line") as line:
        push = {"to": "U1", "messages": [{"type": "text", "text": "hi"}]}
        first = await line.post(
            "/v2/bot/message/push", json=push, headers={"X-Line-Retry-Key": "k1"}
        )
        again = await line.post(
            "/v2/bot/message/push", json=push, headers={"X-Line-Retry-Key": "k1"}
        )
        assert first.status_code == 200 and first.json()["sentMessages"]
        assert again.status_code == 409
        assert again.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
        assert (await line.get("/bench/count")).json() == {"count": 1}
        profile = await line.get("/v2/bot/profile/U1")
        assert profile.status_code == 200 and profile.json()["userId"] == "U1"


def test_the_table_puts_both_side_by_side_with_their_ratio() -> None:
    floor = _figures(deliveries_per_s=100.0, lateness_p99_s=2.0)
    stepline = _figures(deliveries_per_s=150.0, lateness_p99_s=1.0)
    assert ratios(floor, stepline)["deliveries_per_s"] == 1.5
    assert ratios(floor, stepline)["lateness_p99_s"] == 0.5
    row = next(line for line in table(floor, stepline).splitlines() if "deliveries" in line)
    assert row.split()[-3:] == ["100", "150", "1.50"]


def test_a_run_reports_the_median_of_its_repeats_and_their_spread() -> None:
    runs = [_figures(deliveries_per_s=v, lateness_p99_s=v / 10) for v in (40.0, 90.0, 50.0)]
    runs[1] = runs[1].model_copy(update={"cpu_ms_per_friend": {"worker": 9.0}})
    middle = median(runs)
    assert middle.deliveries_per_s == 50.0 and middle.lateness_p99_s == 5.0  # not the mean
    assert middle.delivered == 1 and isinstance(middle.delivered, int)
    assert spread(runs)["deliveries_per_s"] == [40.0, 90.0]


def test_a_small_run_of_the_benchmark_command(tmp_path: Path) -> None:
    """Both phases end to end: a dev server each, the stand-in, the floor's worker, then
    stepline's API and worker with signed webhooks; every friend gets one push."""
    run, result = _bench(
        tmp_path, "--friends", "20", "--rate", "20", "--slack", "8",
        "--keep", str(tmp_path / "run"),
    )  # fmt: skip
    for phase in ("floor", "stepline"):
        figures = result[phase]
        assert figures["delivered"] == 20 and figures["duplicates"] == 0, figures
        assert figures["ack_p99_ms"] > 0 and figures["lateness_p99_s"] is not None
        assert figures["worker_peak_rss_mb"] > 0 and figures["db_bytes_per_enrollment"] > 0
    assert result["ratio"]["deliveries_per_s"] > 0
    assert "deliveries / s after T" in run.stdout


def _bench(tmp_path: Path, *options: str) -> tuple[subprocess.CompletedProcess, dict]:
    """`python -m bench` as the README runs it (its temporary files in `tmp_path/tmp`); its
    output and the JSON it wrote."""
    out = tmp_path / "result.json"
    (tmp_path / "tmp").mkdir()
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--repeats", "1", *options, "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ | {"TMPDIR": str(tmp_path / "tmp")},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run, json.loads(out.read_text())


def _figures(**values) -> Figures:
    base = {
        "friends": 1, "ack_p50_ms": 1.0, "ack_p99_ms": 1.0, "ack_max_ms": 1.0,
        "arrival_per_s": 1.0, "enrolments_per_s": 1.0, "enrolled_before_t_s": 1.0,
        "deliveries_per_s": 1.0, "lateness_p50_s": 1.0, "lateness_p99_s": 1.0,
        "lateness_max_s": 1.0, "delivered": 1, "duplicates": 0, "worker_peak_rss_mb": 1.0,
        "server_peak_rss_mb": 1.0, "db_bytes_per_enrollment": 1.0, "seconds": 1.0,
    }  # fmt: skip
    return Figures(**(base | values))


def test_a_run_with_more_enrollments_waiting_past_it(tmp_path: Path) -> None:
    """--waiting: friends who follow first enter a scenario of their own with a 30-day wait;
    the friends measured after them enter only the scenario that wakes at T. The worker
    processes the webhooks here (STEPLINE_WEBHOOK_PROCESSOR=worker, eager workflow starts on
    a real dev server)."""
    _run, result = _bench(
        tmp_path, "--phase", "stepline", "--friends", "5", "--rate", "10",
        "--waiting", "5", "--slack", "8", "--webhook-processor", "worker",
    )  # fmt: skip
    assert result["floor"] is None and result["plan"]["waiting"] == 5
    assert result["plan"]["webhook_processor"] == "worker"
    assert result["stepline"]["delivered"] == 5 and result["stepline"]["duplicates"] == 0
    assert result["stepline"]["waiting_enrolments_per_s"] > 0
    assert not list((tmp_path / "tmp").glob("stepline-bench-*"))  # no --keep: nothing left
