"""docker-compose.yml and the Dockerfile: the production-like stack (Temporal on PostgreSQL)."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from core.config import Settings
from workflows import search

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
SECRETS = ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "STEPLINE_ADMIN_TOKEN")
DUMMY = {name: "dummy" for name in SECRETS}

# docs/CONTRACT.md §2's variables, and which process needs which: the API checks webhook signatures and
# guards the admin API; the worker pushes through the Messaging API. Both need the database,
# Temporal, the task queue, the public URL (tracked links) and the LINE API base.
SPEC_VARIABLES = {
    "STEPLINE_DATABASE_URL",
    "STEPLINE_TEMPORAL_ADDRESS",
    "STEPLINE_TEMPORAL_NAMESPACE",
    "STEPLINE_TASK_QUEUE",
    "STEPLINE_ADMIN_TOKEN",
    "STEPLINE_PUBLIC_URL",
    "LINE_CHANNEL_SECRET",
    "LINE_CHANNEL_ACCESS_TOKEN",
    "LINE_API_BASE_URL",
}
ROUTE_LINKS = {  # ours: route links through LINE Login (docs/CONTRACT.md §5)
    "LINE_LOGIN_CHANNEL_ID",
    "LINE_LOGIN_CHANNEL_SECRET",
    "LINE_LOGIN_BASE_URL",
    "STEPLINE_FRIEND_URL",
}
DELIVERY = {"STEPLINE_PUSH_RATE"}  # ours: the channel-wide push rate (worker)
# ours, with defaults that suit production: LINE's timeout, how long a starting worker waits
# for Temporal, the admin API's body limit
TUNING = {
    "STEPLINE_LINE_TIMEOUT",
    "STEPLINE_TEMPORAL_CONNECT_TIMEOUT",
    "STEPLINE_MAX_BODY_BYTES",
    "STEPLINE_WORKFLOW_CACHE",
    "STEPLINE_WORKFLOW_SANDBOX",
    "STEPLINE_WORKER_PUSH_RATE",
    "STEPLINE_WEBHOOK_PROCESSOR",
    "STEPLINE_AUTH_FAILURES_PER_MINUTE",
}
# ours: metrics, logs and the dashboard's Temporal UI links (defaults off, open, JSON, none)
OPERATIONS = {
    "STEPLINE_TEMPORAL_UI_URL",
    "STEPLINE_METRICS_TOKEN",
    "STEPLINE_WORKER_METRICS_PORT",
    "STEPLINE_WORKER_METRICS_HOST",
    "STEPLINE_TEMPORAL_METRICS_ADDRESS",
    "STEPLINE_LOG_FORMAT",
    "STEPLINE_TIMEZONE",
}
NEEDS = {
    "api": SPEC_VARIABLES | ROUTE_LINKS,
    "worker": SPEC_VARIABLES - {"STEPLINE_ADMIN_TOKEN", "LINE_CHANNEL_SECRET"} | DELIVERY,
}


def command(service: str) -> str:
    value = SERVICES[service]["command"]
    return value if isinstance(value, str) else " ".join(value)


def environment(service: str) -> dict[str, str]:
    value = SERVICES[service].get("environment") or {}
    if isinstance(value, list):
        value = dict(item.split("=", 1) for item in value)
    return {key: str(item) for key, item in value.items()}


def test_services() -> None:
    assert set(SERVICES) == {
        "postgresql",
        "temporal",
        "temporal-setup",
        "temporal-ui",
        "api",
        "worker",
    }


def test_spec_variables_are_the_settings() -> None:
    assert {
        field.alias for field in Settings.model_fields.values()
    } == SPEC_VARIABLES | ROUTE_LINKS | DELIVERY | TUNING | OPERATIONS


def test_app_commands() -> None:
    assert command("api").startswith("uvicorn api.app:app")
    assert "--host 0.0.0.0" in command("api") and "--port 8000" in command("api")
    assert command("worker") == "python worker.py"


def test_api_and_worker_share_one_image_built_here() -> None:
    for service in ("api", "worker"):
        assert SERVICES[service]["build"] == "."
    assert SERVICES["api"]["image"] == SERVICES["worker"]["image"]
    assert "8000:8000" in SERVICES["api"]["ports"]


@pytest.mark.parametrize("service", sorted(NEEDS))
def test_every_app_service_gets_every_variable_it_needs(service: str) -> None:
    env = environment(service)
    assert NEEDS[service] <= set(env), NEEDS[service] - set(env)
    assert set(env) <= SPEC_VARIABLES | ROUTE_LINKS | DELIVERY | OPERATIONS, "only our settings"
    assert env["STEPLINE_DATABASE_URL"] == (
        "postgresql+psycopg://stepline:stepline@postgresql:5432/stepline"
    )
    assert env["STEPLINE_TEMPORAL_ADDRESS"] == "temporal:7233"
    for name in NEEDS[service] & set(SECRETS):
        # taken from the environment or .env, and a missing one stops `docker compose`
        assert re.fullmatch(rf"\$\{{{name}:\?[^}}]+\}}", env[name]), env[name]


@pytest.mark.parametrize("service", sorted(NEEDS))
def test_app_services_wait_for_a_ready_temporal_and_database(service: str) -> None:
    assert SERVICES[service]["depends_on"] == {
        "postgresql": {"condition": "service_healthy"},
        "temporal": {"condition": "service_healthy"},
        "temporal-setup": {"condition": "service_completed_successfully"},
    }


def test_healthchecks() -> None:
    for service in ("postgresql", "temporal", "api"):
        assert SERVICES[service]["healthcheck"]["test"], service
    assert "/healthz" in " ".join(SERVICES["api"]["healthcheck"]["test"])


def test_postgresql_keeps_its_data_and_holds_stepline_database() -> None:
    postgres = SERVICES["postgresql"]
    assert postgres["image"] == "postgres:16"
    volume = postgres["volumes"][0].split(":")
    assert volume[0] in COMPOSE["volumes"] and volume[1] == "/var/lib/postgresql/data"
    assert postgres["environment"]["POSTGRES_DB"] == "stepline"
    assert postgres["environment"]["POSTGRES_USER"] == "stepline"


def test_temporal_runs_on_postgresql() -> None:
    temporal = SERVICES["temporal"]
    assert temporal["image"].startswith("temporalio/auto-setup:")
    env = environment("temporal")
    assert env["DB"] == "postgres12"
    assert env["POSTGRES_SEEDS"] == "postgresql"
    assert temporal["depends_on"] == {"postgresql": {"condition": "service_healthy"}}
    # Temporal's own databases are not stepline's.
    init = COMPOSE["configs"]["postgres-init"]["content"]
    assert f"ROLE {env['POSTGRES_USER']}" in init and "CREATEDB" in init


def test_search_attributes_are_registered_as_keywords() -> None:
    setup = SERVICES["temporal-setup"]
    assert setup["image"].startswith("temporalio/admin-tools:")
    assert setup["depends_on"] == {"temporal": {"condition": "service_healthy"}}
    script = " ".join(setup["command"])
    assert "temporal operator search-attribute create" in script
    assert "--type Keyword" in script
    for name in ("StepScenarioId", "StepLineUserId", "StepStatus", "StepCurrent"):
        assert name in script
    assert {key.name for key in search.ALL} == {
        "StepScenarioId",
        "StepLineUserId",
        "StepStatus",
        "StepCurrent",
    }


def test_temporal_ui() -> None:
    ui = SERVICES["temporal-ui"]
    assert ui["image"].startswith("temporalio/ui:")
    assert "8080:8080" in ui["ports"]
    assert environment("temporal-ui")["TEMPORAL_ADDRESS"] == "temporal:7233"


def test_dockerfile() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines[0] == "FROM python:3.11-slim"
    assert any(line.startswith("RUN pip install .") for line in lines)
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    # everything the processes import or read at run time is copied in
    copied = " ".join(line for line in lines if line.startswith("COPY "))
    for needed in ("worker.py", "pyproject.toml", "migrations/", "api/", "workflows/"):
        assert needed in copied


def _compose_available() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.mark.skipif(not _compose_available(), reason="the docker compose plugin is not installed")
def test_docker_compose_accepts_the_file_and_insists_on_the_secrets(tmp_path: Path) -> None:
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")  # away from .env
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LINE_", "STEPLINE_", "COMPOSE_"))
    }

    def config(env: dict[str, str]) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["docker", "compose", "-f", "docker-compose.yml", "config", "-q"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    assert config({**clean, **DUMMY}).returncode == 0
    for missing in SECRETS:
        env = {**clean, **DUMMY}
        del env[missing]
        answer = config(env)
        assert answer.returncode != 0
        assert missing in answer.stderr
