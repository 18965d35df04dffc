"""`stepline --help` and the short commands import only what they need (issue 20): not the
worker's and the API's object graph (temporalio, the store, LINE's SDK, FastAPI). Timing-free:
what is imported is checked, in a fresh interpreter; the seconds are bench/cli_startup.py's."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.serve import free_port

ROOT = Path(__file__).resolve().parents[2]
# what a command that only talks to the API must never import
HEAVY = [
    "temporalio", "sqlalchemy", "sqlmodel", "alembic", "fastapi", "starlette", "linebot",
    "aiohttp", "pydantic_settings", "app.roles", "store", "scenarios", "triggers", "workflows",
    "activities", "line", "api", "emulator",
]  # fmt: skip
# … and what `--help` needs neither: no request is made, no LINE ID checked; neither pydantic
# (typer 0.29 converts every parameter through it: pyproject.toml keeps typer below) nor rich
# (plain help: cli/__init__.py)
NOT_FOR_HELP = [*HEAVY, "httpx", "domain.ids", "rich", "pydantic"]
# … and what a short command needs neither before its request: YAML (read by `scenario apply`
# alone), rich (imported when a table is drawn: these commands fail first), httpx's own command
# line (click, pygments: cli/targets.py leaves it out), pydantic (a LINE ID is checked with
# domain/line_ids.py's pattern)
NOT_BEFORE_THE_REQUEST = [*HEAVY, "yaml", "rich", "click", "pygments", "pydantic"]
USER = "U" + "0" * 32

# runs `stepline ARGS…` as the entry point does, then prints the modules it imported
SCRIPT = """
import json, sys
from cli.main import main
sys.argv = ["stepline", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.__stderr__)
"""


def imported(*args: str, **variables: str) -> tuple[object, set[str]]:
    """The exit code of `stepline ARGS…` in a fresh interpreter and the modules it imported
    (`variables` added to its environment)."""
    unreachable = f"http://127.0.0.1:{free_port()}"  # nothing listens: each call fails at once
    env = {**os.environ, "STEPLINE_PUBLIC_URL": unreachable, "LINE_API_BASE_URL": unreachable}
    env.update(variables)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["code"], set(report["modules"])


def loaded(modules: set[str], packages: list[str]) -> list[str]:
    return [p for p in packages if any(m == p or m.startswith(p + ".") for m in modules)]


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["scenario", "--help"],
        ["friend", "--help"],
        ["db", "--help"],
        ["stats", "--help"],
    ],
)
def test_help_imports_no_heavy_module(args):
    code, modules = imported(*args)
    assert code in (0, None)
    assert loaded(modules, NOT_FOR_HELP) == []
    assert "cli.main" in modules and "typer" in modules  # the check saw the real thing


@pytest.mark.parametrize(
    "args",
    [
        ["scenario", "list"],
        ["scenario", "templates"],
        ["stats", "scn_nothing"],
        ["friend", "show", USER],
        ["emulator", "messages"],
        ["simulate", "follow"],
        ["operation", "list"],
    ],
)
def test_short_commands_import_only_an_http_client(args):
    code, modules = imported(*args)
    assert code == 1  # "cannot reach …": the command got as far as its request
    assert "httpx" in modules
    assert loaded(modules, NOT_BEFORE_THE_REQUEST) == []


def test_a_token_from_a_file_imports_no_settings_machinery(tmp_path):
    """STEPLINE_ADMIN_TOKEN_FILE is read on the standard library (core/secret_file.py), not
    through pydantic-settings and dotenv as the API's settings are."""
    (tmp_path / "token").write_text("from-a-file\n")
    variables = {"STEPLINE_ADMIN_TOKEN": "", "STEPLINE_ADMIN_TOKEN_FILE": str(tmp_path / "token")}
    code, modules = imported("scenario", "list", **variables)
    assert code == 1  # it got as far as its request
    assert "core.secret_file" in modules
    assert loaded(modules, [*NOT_BEFORE_THE_REQUEST, "dotenv", "core.setting_files"]) == []


def test_a_plain_http_client_loads_no_ca_bundle(monkeypatch):
    """httpx loads certifi's CA bundle for every client (0.05 s): not for a plain-HTTP server
    reached directly, whose client gets a context trusting nothing (TLS would fail, never go
    unverified); an https URL or a proxy keeps httpx's own verification."""
    import ssl

    import httpx

    from cli import targets

    made: list[dict] = []
    monkeypatch.setattr(httpx, "Client", lambda **kwargs: made.append(kwargs))
    for name in targets.PROXIES:
        monkeypatch.delenv(name, raising=False)
    targets.client("http://localhost:8000", {"Authorization": "Bearer x"})
    [plain] = made
    assert plain["base_url"] == "http://localhost:8000" and plain["headers"]["Authorization"]
    context = plain["verify"]
    assert isinstance(context, ssl.SSLContext) and context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname and context.cert_store_stats()["x509_ca"] == 0

    made.clear()
    targets.client("https://stepline.example.com")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    targets.client("http://localhost:8000")
    assert ["verify" in kwargs for kwargs in made] == [False, False]
