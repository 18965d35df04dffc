"""The processes as deployed: the worker's and the API's log lines are JSON by default, the
worker serves its counters on STEPLINE_WORKER_METRICS_PORT and Temporal's SDK metrics on
STEPLINE_TEMPORAL_METRICS_ADDRESS, the API serves GET /metrics."""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from temporalio.worker import Worker

from app.roles import connect
from core import metrics
from core.config import Settings
from core.serve import free_port
from tests.ops.helpers import Samples
from workflows.enrollment import EnrollmentWorkflow

ROOT = Path(__file__).resolve().parent.parent.parent


def start(command: list[str], **env: str) -> subprocess.Popen:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("STEPLINE_", "LINE_"))}
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env={**clean, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def get_when_up(url: str, child: subprocess.Popen, timeout: float = 30.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        assert child.poll() is None, child.communicate()
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            assert time.monotonic() < deadline, f"{url} never answered"
            time.sleep(0.1)


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_the_worker_logs_json_and_serves_its_counters(tmp_path):
    port = free_port()
    child = start(
        [sys.executable, "worker.py"],
        LINE_CHANNEL_ACCESS_TOKEN="t",
        STEPLINE_DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite",
        STEPLINE_TEMPORAL_ADDRESS="127.0.0.1:1",  # nobody: it keeps trying, then gives up
        STEPLINE_TEMPORAL_CONNECT_TIMEOUT="3",
        STEPLINE_WORKER_METRICS_PORT=str(port),
    )
    try:
        answer = get_when_up(f"http://127.0.0.1:{port}/metrics", child)
        assert answer.status_code == 200
        for counter in ("stepline_sends", "stepline_holds", "stepline_enrolments"):
            assert f"# TYPE {counter}_total counter" in answer.text
        assert "# TYPE stepline_line_request_seconds histogram" in answer.text
        _out, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == 1
    *logged, last = err.strip().splitlines()
    assert last.startswith("stepline worker: ")  # the one-line exit, not a log line
    found = [json.loads(line) for line in logged]  # every log line is a JSON object
    waiting = [line for line in found if "not reachable yet" in line["message"]]
    assert waiting and {(line["level"], line["logger"]) for line in waiting} == {
        ("WARNING", "stepline.temporal")
    }


def test_the_worker_s_metrics_listen_on_this_machine_only_unless_told(tmp_path):
    """They are unauthenticated: 127.0.0.1 by default, STEPLINE_WORKER_METRICS_HOST to widen."""
    from core import metrics

    server = metrics.serve(free_port())
    try:
        assert server.server_address[0] == "127.0.0.1"
    finally:
        server.shutdown()
        server.server_close()
    wide = metrics.serve(free_port(), "0.0.0.0")
    try:
        assert wide.server_address[0] == "0.0.0.0"
    finally:
        wide.shutdown()
        wide.server_close()


def test_the_worker_names_a_metrics_port_it_cannot_have(tmp_path):
    with socket.socket() as taken:  # a port in use: this test's own listener
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        child = start(
            [sys.executable, "worker.py"],
            LINE_CHANNEL_ACCESS_TOKEN="t",
            STEPLINE_DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite",
            STEPLINE_WORKER_METRICS_PORT=str(taken.getsockname()[1]),
        )
        _out, err = child.communicate(timeout=60)
    assert child.returncode == 1
    last = err.strip().splitlines()[-1]
    assert last.startswith("stepline worker: STEPLINE_WORKER_METRICS_PORT ")
    assert "in use" in last and "Traceback" not in err


def test_the_api_logs_json_without_query_strings_and_serves_metrics(tmp_path):
    port = free_port()
    child = start(
        [sys.executable, "-m", "uvicorn", "api.app:app", "--host", "127.0.0.1",
         "--port", str(port)],
        LINE_CHANNEL_SECRET="s",
        STEPLINE_ADMIN_TOKEN="a" * 32,  # LINE's own API: a token fit for production
        STEPLINE_DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite",
        STEPLINE_TEMPORAL_ADDRESS="127.0.0.1:1",
    )  # fmt: skip
    try:
        answer = get_when_up(f"http://127.0.0.1:{port}/metrics?from=secret-in-query", child)
        assert answer.status_code == 200
        samples = Samples.parse(answer.text)
        assert samples.get("stepline_store_up") == 1
        assert samples.get("stepline_enrollments", status="waiting") == 0
    finally:
        child.send_signal(signal.SIGTERM)
        _out, err = child.communicate(timeout=30)
    found = [json.loads(line) for line in err.strip().splitlines()]  # every line is JSON
    messages = {(line["logger"], line["message"]) for line in found}
    assert ("uvicorn.error", "Application startup complete.") in messages
    [request] = [line for line in found if line["logger"] == "uvicorn.access"]
    assert request["message"].endswith('"GET /metrics HTTP/1.1" 200')
    assert "secret-in-query" not in err


async def test_temporal_sdk_metrics_are_served_where_the_setting_says(ts_env):
    """worker.connect on a runtime exporting Temporal's metrics; a worker polls for a moment."""
    port = free_port()
    target = ts_env.client.service_client.config.target_host
    settings = Settings(
        temporal_address=target,
        temporal_metrics_address=f"127.0.0.1:{port}",
        _env_file=None,
    )
    client = await connect(settings)
    async with Worker(client, task_queue="sdk-metrics", workflows=[EnrollmentWorkflow]):
        await asyncio.sleep(0.3)
    async with httpx.AsyncClient() as prometheus:
        answer = await prometheus.get(f"http://127.0.0.1:{port}/metrics")
    assert answer.status_code == 200
    samples = Samples.parse(answer.text)
    names = set(samples.names())
    assert {"temporal_request_total", "temporal_num_pollers"} <= names, sorted(names)
    started = [
        labels
        for name, labels in samples.values
        if name == "temporal_worker_start_total" and ("task_queue", "sdk-metrics") in labels
    ]
    assert started, sorted(names)


def test_a_temporal_metrics_address_in_use_is_named():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        with pytest.raises(RuntimeError, match=f"STEPLINE_TEMPORAL_METRICS_ADDRESS {address}"):
            metrics.temporal_runtime(address)
