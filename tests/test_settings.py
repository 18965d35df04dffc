"""A missing or malformed setting stops a process at start with one line naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def start(command: list[str], **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("STEPLINE_", "LINE_"))}
    return subprocess.run(
        command, cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


def test_worker_without_access_token_names_it():
    result = start([sys.executable, "worker.py"])
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "stepline: LINE_CHANNEL_ACCESS_TOKEN is not set (this process needs it; see README)"
    )


def test_api_without_channel_secret_names_it():
    result = start([sys.executable, "-m", "uvicorn", "api.app:app", "--port", "0"])
    assert result.returncode != 0
    assert "stepline: LINE_CHANNEL_SECRET is not set" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("STEPLINE_DATABASE_URL", "mysql://x"),
        ("STEPLINE_TEMPORAL_ADDRESS", "localhost"),
        ("LINE_API_BASE_URL", "ftp://api.line.me"),
        ("STEPLINE_PUBLIC_URL", "not a url"),
        ("STEPLINE_WEBHOOK_PROCESSOR", "both"),
    ],
)
def test_malformed_setting_is_named(variable, value):
    result = start(
        [sys.executable, "worker.py"], LINE_CHANNEL_ACCESS_TOKEN="t", **{variable: value}
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"stepline: {variable} is invalid:")


def test_worker_without_temporal_says_so_in_one_line(tmp_path):
    result = start(
        [sys.executable, "worker.py"],
        LINE_CHANNEL_ACCESS_TOKEN="t",
        STEPLINE_DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite",
        STEPLINE_TEMPORAL_ADDRESS="127.0.0.1:1",
        STEPLINE_TEMPORAL_CONNECT_TIMEOUT="1",
    )
    assert result.returncode == 1
    assert "not reachable yet, trying again" in result.stderr  # it waited before giving up
    assert result.stderr.strip().splitlines()[-1].startswith("stepline worker: ")
    assert "Traceback" not in result.stderr
