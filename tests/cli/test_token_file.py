"""The CLI takes its admin token from STEPLINE_ADMIN_TOKEN_FILE as the API's settings do
(core/secret_file.py): the file's text without its final line break; the value and the file
together, or a file that cannot be used, stop the command with one line naming the variable."""

import os

import pytest

from app.endpoints import cli_endpoints
from core.config import load_settings
from tests.cli.test_cli_insight import stepline
from tests.support.devrun import dev_runner
from tests.support.stack import ADMIN_TOKEN


@pytest.fixture
def file_env(env, tmp_path) -> dict:
    """The stack's environment with the token in a file instead of the variable."""
    (tmp_path / "admin-token").write_text(ADMIN_TOKEN + "\n")
    return env | {
        "STEPLINE_ADMIN_TOKEN": None,
        "STEPLINE_ADMIN_TOKEN_FILE": str(tmp_path / "admin-token"),
    }


async def test_the_cli_sends_the_token_of_the_file(stack, file_env, tmp_path):
    listed = await stepline(file_env, "scenario", "list")
    assert listed.exit_code == 0, listed.output
    assert "401" not in listed.output

    (tmp_path / "wrong").write_text("not-the-token\n")  # the file's token is the one sent
    refused = await stepline(file_env | {"STEPLINE_ADMIN_TOKEN_FILE": str(tmp_path / "wrong")},
                             "scenario", "list")  # fmt: skip
    assert refused.exit_code == 1 and "GET /scenarios → 401" in refused.output


async def test_a_token_file_that_cannot_be_used_is_one_line(stack, file_env, tmp_path):
    both = await stepline(file_env | {"STEPLINE_ADMIN_TOKEN": ADMIN_TOKEN}, "scenario", "list")
    assert both.exit_code == 2
    assert both.output.strip() == (
        "stepline: STEPLINE_ADMIN_TOKEN and STEPLINE_ADMIN_TOKEN_FILE are both set:"
        " give the value or the file, not both"
    )
    missing = tmp_path / "nope"
    gone = await stepline(
        file_env | {"STEPLINE_ADMIN_TOKEN_FILE": str(missing)}, "scenario", "list"
    )
    assert gone.exit_code == 2
    assert gone.output.strip() == (
        f"stepline: STEPLINE_ADMIN_TOKEN_FILE: cannot read {missing}: No such file or directory"
    )


@pytest.mark.parametrize("text", ["s3cret\n", "s3cret\r\n", "s3cret", " s3cret \n\n"])
def test_the_cli_reads_the_file_as_the_settings_do(monkeypatch, tmp_path, text):
    for name in ("STEPLINE_ADMIN_TOKEN", "STEPLINE_DATABASE_URL", "STEPLINE_DATABASE_URL_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env
    (tmp_path / "token").write_text(text, newline="")
    monkeypatch.setenv("STEPLINE_ADMIN_TOKEN_FILE", str(tmp_path / "token"))
    settings = load_settings()
    assert settings.admin_token is not None
    cli = cli_endpoints({"STEPLINE_ADMIN_TOKEN_FILE": str(tmp_path / "token")}, None)
    assert cli.admin_token == settings.admin_token.get_secret_value() == text.rstrip("\r\n")


def children_settings(monkeypatch, env: dict):
    """The settings a process `stepline dev` starts would load from `env` (and .env)."""
    for name in list(os.environ):
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings()


@pytest.mark.parametrize("where", ["environment", ".env"])
def test_stepline_dev_passes_a_token_file_on_without_a_clash(monkeypatch, tmp_path, where):
    """`stepline dev` sets the admin token (and the database URL) for the processes it starts:
    a `…_FILE` of the environment is passed on as its value, one of .env is blanked, so that
    the worker and the API never see a value and its file together (which stops them)."""
    for name in ("STEPLINE_ADMIN_TOKEN", "STEPLINE_DATABASE_URL", "STEPLINE_DATABASE_URL_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "token").write_text("from-the-file\n")
    (tmp_path / "db").write_text(f"sqlite:///{tmp_path / 'mine.db'}\n")
    files = {"STEPLINE_ADMIN_TOKEN_FILE": tmp_path / "token", "STEPLINE_DATABASE_URL_FILE": tmp_path / "db"}  # fmt: skip
    if where == ".env":
        (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in files.items()))
    else:
        for name, path in files.items():
            monkeypatch.setenv(name, str(path))

    env, emulated = dev_runner(tmp_path / "state").environment()
    assert emulated
    assert env["STEPLINE_ADMIN_TOKEN_FILE"] == env["STEPLINE_DATABASE_URL_FILE"] == ""
    settings = children_settings(monkeypatch, env)  # no "both set": they start
    assert settings.admin_token is not None
    if where == "environment":  # the files' values, as STEPLINE_ADMIN_TOKEN=… would be used
        assert settings.admin_token.get_secret_value() == "from-the-file"
        assert settings.database_url == f"sqlite:///{tmp_path / 'mine.db'}"
    else:  # as a value in .env is: `stepline dev`'s own, the emulator's channel
        assert settings.admin_token.get_secret_value() == env["STEPLINE_ADMIN_TOKEN"]
