"""With a real LINE channel, nothing runs on the public dev admin token or a short one, and a
half-given channel is refused, never completed with the emulator's values."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli.dev import DevRunner
from core.config import DEV_ADMIN_TOKEN

ROOT = Path(__file__).resolve().parents[2]
STRONG = "k" * 40
REAL = {"LINE_CHANNEL_SECRET": "a" * 32, "LINE_CHANNEL_ACCESS_TOKEN": "real-token"}


def run(command: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("STEPLINE_", "LINE_"))}
    return subprocess.run(
        command,
        cwd=tmp_path,  # no .env of the repository's
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def dev(tmp_path: Path, monkeypatch, capsys, **env: str) -> tuple[int, str]:
    """`stepline dev`'s start, in this process: its exit code and what it said (it stops
    before it starts anything)."""
    for name in (*REAL, "STEPLINE_ADMIN_TOKEN", "LINE_API_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no .env of the repository's
    runner = DevRunner(
        api_port=1, temporal_port=2, ui_port=3, emulator_port=4, examples=False,
        state_dir=tmp_path / "s",
    )  # fmt: skip
    with pytest.raises(SystemExit) as stopped:
        runner.run()
    return stopped.value.code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("token", "said"),
    [
        (None, "STEPLINE_ADMIN_TOKEN is not set"),
        (DEV_ADMIN_TOKEN, "is the public dev token"),
        ("short-but-secret", "has 16 characters"),
    ],
)
def test_dev_with_a_real_channel_refuses_a_weak_admin_token(
    tmp_path, monkeypatch, capsys, token, said
):
    env = {**REAL, **({"STEPLINE_ADMIN_TOKEN": token} if token else {})}
    code, err = dev(tmp_path, monkeypatch, capsys, **env)
    assert code == 2
    (line,) = err.strip().splitlines()[-1:]
    assert line.startswith("stepline: STEPLINE_ADMIN_TOKEN") and said in line
    assert not (tmp_path / "s" / "temporal.db").exists()  # nothing was started


@pytest.mark.parametrize("given", ["LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN"])
def test_dev_with_half_a_channel_is_refused_not_completed(tmp_path, monkeypatch, capsys, given):
    code, err = dev(tmp_path, monkeypatch, capsys, **{given: REAL[given]})
    assert code == 2
    assert given in err and "set both" in err


def test_dev_with_a_real_channel_passes_its_own_token_and_no_dev_values(tmp_path, monkeypatch):
    for name in (*REAL, "STEPLINE_ADMIN_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    for name, value in {**REAL, "STEPLINE_ADMIN_TOKEN": STRONG}.items():
        monkeypatch.setenv(name, value)
    runner = DevRunner(
        api_port=1, temporal_port=2, ui_port=3, emulator_port=4, examples=False, state_dir=tmp_path
    )
    env, emulated = runner.environment()
    assert not emulated
    assert env["STEPLINE_ADMIN_TOKEN"] == STRONG
    assert {name: env[name] for name in REAL} == REAL
    assert "LINE_API_BASE_URL" not in env and "LINE_LOGIN_CHANNEL_SECRET" not in env


@pytest.mark.parametrize("token", ["x" * 31])  # the other refusals: tested on Settings below
def test_the_api_for_real_line_refuses_a_weak_admin_token(tmp_path, token):
    command = [sys.executable, "-m", "uvicorn", "api.app:app", "--port", "0"]
    result = run(command, tmp_path, STEPLINE_ADMIN_TOKEN=token, **REAL)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("stepline: STEPLINE_ADMIN_TOKEN")


def test_the_emulator_may_use_the_dev_token(tmp_path):
    """Against the emulator (LINE_API_BASE_URL not LINE's) the dev token is allowed."""
    from core.config import Settings

    settings = Settings(
        STEPLINE_ADMIN_TOKEN=DEV_ADMIN_TOKEN,
        LINE_API_BASE_URL="http://127.0.0.1:8001",
        _env_file=None,
    )
    assert not settings.real_line
    assert settings.require_safe_admin() is settings
    real = Settings(STEPLINE_ADMIN_TOKEN=DEV_ADMIN_TOKEN, _env_file=None)
    assert real.real_line and "public dev token" in (real.admin_token_problem() or "")
    with pytest.raises(SystemExit):
        real.require_safe_admin()
    unset = Settings(_env_file=None)
    assert "is not set" in (unset.admin_token_problem() or "")
