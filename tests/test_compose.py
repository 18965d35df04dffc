"""docker-compose.yml and the Dockerfile: the production-like stack (Temporal's server image on
PostgreSQL, its schema set up by Temporal's SQL tool). No docker needed: the file is read as YAML;
`docker compose config` runs too where the compose plugin is installed."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy import names
from workflows import search

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
REQUIRED_SECRETS = ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "STEPLINE_ADMIN_TOKEN")
DUMMY = {name: "dummy" for name in REQUIRED_SECRETS}
API_COMMAND = [
    "uvicorn",
    "api.app:app",
    "--host",
    "0.0.0.0",
    "--port",
    "8000",
    "--timeout-graceful-shutdown",
    "20",
]
WORKER_METRICS_PORT = "9464"

NEEDS = {
    "api": names.SPEC_VARIABLES | names.ROUTE_LINKS | names.TEMPORAL_SECURITY,
    "worker": names.SPEC_VARIABLES - {"STEPLINE_ADMIN_TOKEN", "LINE_CHANNEL_SECRET"}
    | names.DELIVERY
    | names.TEMPORAL_SECURITY
    | names.LIFECYCLE
    | {"STEPLINE_WORKER_METRICS_PORT", "STEPLINE_WORKER_METRICS_HOST"},
}


def command(service: str) -> list[str]:
    value = SERVICES[service]["command"]
    return value.split() if isinstance(value, str) else [str(part) for part in value]


def environment(service: str) -> dict[str, str | None]:
    """A service's variables; None for one passed on from the environment only when set there."""
    value = SERVICES[service].get("environment") or {}
    if isinstance(value, list):
        value = dict(item.split("=", 1) if "=" in item else (item, None) for item in value)
    return {key: None if item is None else str(item) for key, item in value.items()}


def default(value: str) -> str:
    """The default of a `${NAME:-default}` in a value."""
    found = re.search(r"\$\{\w+:-([^}]*)\}", value)
    assert found, value
    return value[: found.start()] + found.group(1) + value[found.end() :]


def seconds(duration: str) -> float:
    found = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", duration)
    assert found and duration, duration
    return int(found.group(1) or 0) * 60 + int(found.group(2) or 0)


def dockerfile_lines() -> list[str]:
    return [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_services() -> None:
    assert set(SERVICES) == {
        "postgresql",
        "temporal-schema",
        "temporal",
        "temporal-setup",
        "temporal-ui",
        "api",
        "worker",
    }


def test_the_settings_named_here_are_the_settings() -> None:
    # Settings (core/config.py) has a field for each; a new setting gets its line in
    # tests/deploy/names.py (and, where production needs it, in compose and deploy/)
    assert names.settings_aliases() == names.ALL, names.settings_aliases() ^ names.ALL


def test_every_secret_may_come_from_a_file() -> None:
    assert names.from_files() == names.SECRETS


def test_app_commands() -> None:
    assert command("api") == API_COMMAND
    assert command("worker") == ["python", "worker.py"]


def test_the_image_runs_the_api_by_default_with_the_same_command() -> None:
    cmd = [line for line in dockerfile_lines() if line.startswith("CMD ")]
    assert cmd and json.loads(cmd[-1].removeprefix("CMD ")) == API_COMMAND


def test_api_and_worker_share_one_image_built_here() -> None:
    for service in ("api", "worker"):
        assert SERVICES[service]["build"] == "."
    assert SERVICES["api"]["image"] == SERVICES["worker"]["image"]
    assert default(SERVICES["api"]["image"]) == "stepline:latest"
    assert "8000:8000" in SERVICES["api"]["ports"]


@pytest.mark.parametrize("service", sorted(NEEDS))
def test_every_app_service_gets_every_variable_it_needs(service: str) -> None:
    env = environment(service)
    assert NEEDS[service] <= set(env), NEEDS[service] - set(env)
    for name in env:
        setting = names.setting_of(name)
        assert setting in names.ALL, f"{name}: not a stepline setting"
        if name != setting:
            assert setting in names.SECRETS, f"{name}: only secrets come from files"
    assert env["STEPLINE_DATABASE_URL"] == (
        "postgresql+psycopg://stepline:stepline@postgresql:5432/stepline"
    )
    assert env["STEPLINE_TEMPORAL_ADDRESS"] == "temporal:7233"
    for name in NEEDS[service] & set(REQUIRED_SECRETS):
        # taken from the environment or .env, and a missing one stops `docker compose`
        assert re.fullmatch(rf"\$\{{{name}:\?[^}}]+\}}", env[name] or ""), env[name]


@pytest.mark.parametrize("service", sorted(NEEDS))
def test_the_variable_names_are_the_ones_the_processes_read(service: str) -> None:
    unknown = set(environment(service)) - names.accepted()
    assert not unknown, f"no stepline process reads {sorted(unknown)}"


@pytest.mark.parametrize("service", sorted(NEEDS))
def test_an_optional_setting_left_unset_is_not_passed_as_an_empty_string(service: str) -> None:
    # `NAME: ${NAME:-}` would hand the process "", an invalid URL or certificate (the API
    # would stop on STEPLINE_FRIEND_URL=""); `NAME:` passes it only when it is set
    for name, value in environment(service).items():
        assert value != "", name
        if value and ":-" in value:
            assert default(value) != "", f"{name} defaults to an empty string"


@pytest.mark.parametrize("service", sorted(NEEDS))
def test_temporal_is_reached_without_tls_unless_told(service: str) -> None:
    env = environment(service)
    assert default(env["STEPLINE_TEMPORAL_TLS"] or "") == "false"
    for name in names.TEMPORAL_SECURITY - {"STEPLINE_TEMPORAL_TLS"}:
        assert env[name] is None, name  # passed on only when set
        if name in names.SECRETS:
            assert env[name + names.FILE_SUFFIX] is None, name


def test_graceful_stop_fits_in_the_stop_grace_periods() -> None:
    timeout = float(API_COMMAND[API_COMMAND.index("--timeout-graceful-shutdown") + 1])
    assert seconds(SERVICES["api"]["stop_grace_period"]) >= timeout + 5
    grace = float(default(environment("worker")["STEPLINE_WORKER_GRACE_SECONDS"] or ""))
    assert grace == 20
    assert seconds(SERVICES["worker"]["stop_grace_period"]) >= grace + 5


def test_the_worker_serves_its_probes_in_the_container() -> None:
    env = environment("worker")
    assert env["STEPLINE_WORKER_METRICS_PORT"] == WORKER_METRICS_PORT
    assert env["STEPLINE_WORKER_METRICS_HOST"] == "0.0.0.0"
    check = " ".join(SERVICES["worker"]["healthcheck"]["test"])
    assert f"127.0.0.1:{WORKER_METRICS_PORT}/readyz" in check


@pytest.mark.parametrize("service", sorted(NEEDS))
def test_app_services_wait_for_a_ready_temporal_and_database(service: str) -> None:
    assert SERVICES[service]["depends_on"] == {
        "postgresql": {"condition": "service_healthy"},
        "temporal": {"condition": "service_healthy"},
        "temporal-setup": {"condition": "service_completed_successfully"},
    }


def test_healthchecks() -> None:
    for service in ("postgresql", "temporal", "api", "worker"):
        assert SERVICES[service]["healthcheck"]["test"], service
    # ready: the database and Temporal answer and the schema is at head
    assert "127.0.0.1:8000/readyz" in " ".join(SERVICES["api"]["healthcheck"]["test"])


def test_postgresql_keeps_its_data_and_holds_stepline_database() -> None:
    postgres = SERVICES["postgresql"]
    assert postgres["image"] == "postgres:16"
    volume = postgres["volumes"][0].split(":")
    assert volume[0] in COMPOSE["volumes"] and volume[1] == "/var/lib/postgresql/data"
    assert postgres["environment"]["POSTGRES_DB"] == "stepline"
    assert postgres["environment"]["POSTGRES_USER"] == "stepline"


def test_temporal_runs_on_its_server_image_on_postgresql() -> None:
    temporal = SERVICES["temporal"]
    # temporalio/auto-setup is Temporal's image for development only
    assert "auto-setup" not in (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert default(temporal["image"]).startswith("temporalio/server:1.29.")
    env = environment("temporal")
    assert env["DB"] == "postgres12"
    assert env["POSTGRES_SEEDS"] == "postgresql"
    assert (env["DBNAME"], env["VISIBILITY_DBNAME"]) == ("temporal", "temporal_visibility")
    assert temporal["depends_on"] == {
        "postgresql": {"condition": "service_healthy"},
        "temporal-schema": {"condition": "service_completed_successfully"},
    }
    # Temporal's own role and databases are not stepline's
    init = COMPOSE["configs"]["postgres-init"]["content"]
    assert f"ROLE {env['POSTGRES_USER']}" in init and "CREATEDB" in init
    assert f"PASSWORD '{env['POSTGRES_PWD']}'" in init


def test_temporal_schema_is_set_up_by_temporal_sql_tool() -> None:
    schema = SERVICES["temporal-schema"]
    assert default(schema["image"]).startswith("temporalio/admin-tools:")
    assert schema["depends_on"] == {"postgresql": {"condition": "service_healthy"}}
    env = environment("temporal-schema")
    server = environment("temporal")
    assert env["SQL_PLUGIN"] == server["DB"]
    assert (env["SQL_HOST"], env["SQL_USER"], env["SQL_PASSWORD"]) == (
        server["POSTGRES_SEEDS"],
        server["POSTGRES_USER"],
        server["POSTGRES_PWD"],
    )
    assert env["SCHEMA_DIR"] == "/etc/temporal/schema/postgresql/v12"
    script = " ".join(schema["command"])
    for step in ("create", "setup-schema -v 0.0", "update-schema -d"):
        assert f'temporal-sql-tool --db "$$database" {step}' in script, step
    # both databases, each with its own versioned schema directory
    assert "temporal:temporal temporal_visibility:visibility" in script
    assert '"$$SCHEMA_DIR/$$schema/versioned"' in script


def test_temporal_server_and_its_tools_are_one_release() -> None:
    server = default(SERVICES["temporal"]["image"]).split(":")[1]
    for service in ("temporal-schema", "temporal-setup"):
        tools = default(SERVICES[service]["image"]).split(":")[1]
        assert tools.startswith(server + "-"), (service, tools, server)


def test_namespace_and_search_attributes_are_set_up_as_keywords() -> None:
    setup = SERVICES["temporal-setup"]
    assert default(setup["image"]).startswith("temporalio/admin-tools:")
    assert setup["depends_on"] == {"temporal": {"condition": "service_healthy"}}
    script = " ".join(setup["command"])
    assert 'temporal operator namespace create --retention "$$RETENTION" "$$NAMESPACE"' in script
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
    lines = dockerfile_lines()
    assert lines[0] == "FROM python:3.11-slim"
    assert any(line.startswith("RUN pip install .") for line in lines)
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert any("--uid 10001" in line for line in lines)  # deploy/ runs it as 10001
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
    for missing in REQUIRED_SECRETS:
        env = {**clean, **DUMMY}
        del env[missing]
        answer = config(env)
        assert answer.returncode != 0
        assert missing in answer.stderr
