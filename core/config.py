"""One validated place for every setting (docs/CONTRACT.md §2): environment variables and `.env`."""

import sys
from functools import lru_cache
from typing import Literal

from pydantic import (
    AnyHttpUrl,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from core.setting_files import FileValues, SettingFileError
from core.temporal_settings import TemporalSettings
from domain.zones import known_zone

# the settings a `…_FILE` variable may give: the secrets, the database URL (it holds a password)
# and the Temporal TLS certificates
FROM_FILES = (
    "STEPLINE_DATABASE_URL",
    "STEPLINE_ADMIN_TOKEN",
    "STEPLINE_METRICS_TOKEN",
    "LINE_CHANNEL_SECRET",
    "LINE_CHANNEL_ACCESS_TOKEN",
    "LINE_LOGIN_CHANNEL_SECRET",
    "STEPLINE_TEMPORAL_TLS_CA",
    "STEPLINE_TEMPORAL_TLS_CERT",
    "STEPLINE_TEMPORAL_TLS_KEY",
    "STEPLINE_TEMPORAL_API_KEY",
)
DEV_ADMIN_TOKEN = "stepline-dev"  # `stepline dev` with the emulator: public, never with real LINE
MIN_ADMIN_TOKEN = 32


class Settings(TemporalSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field("sqlite:///./.stepline/stepline.db", alias="STEPLINE_DATABASE_URL")
    task_queue: str = Field("stepline", alias="STEPLINE_TASK_QUEUE", min_length=1)
    # seconds a stopping worker (SIGTERM) gives the activities under way to finish after it
    # stopped polling; the orchestrator's grace period must be longer
    worker_grace_seconds: float = Field(20.0, alias="STEPLINE_WORKER_GRACE_SECONDS", ge=0, le=3600)
    admin_token: SecretStr | None = Field(None, alias="STEPLINE_ADMIN_TOKEN")
    # seconds between the API's quota forecasts for /metrics and the log's warning (0: only
    # when asked for, GET /channel/quota/forecast)
    quota_forecast_seconds: float = Field(
        900.0, alias="STEPLINE_QUOTA_FORECAST_SECONDS", ge=0, le=86_400
    )
    public_url: AnyHttpUrl = Field("http://localhost:8000", alias="STEPLINE_PUBLIC_URL")
    # the channel's timezone: times a person reads where no scenario's applies (the dashboard's
    # lists, the CLI, the emulator's chat view); a scenario's own pages use the scenario's
    timezone: str = Field("Asia/Tokyo", alias="STEPLINE_TIMEZONE", min_length=1, max_length=64)
    line_channel_secret: SecretStr | None = Field(None, alias="LINE_CHANNEL_SECRET")
    line_channel_access_token: SecretStr | None = Field(None, alias="LINE_CHANNEL_ACCESS_TOKEN")
    line_api_base_url: AnyHttpUrl = Field("https://api.line.me", alias="LINE_API_BASE_URL")
    # pushes per second for the whole channel, shared by every worker (LINE allows 2,000)
    push_rate: float = Field(2000.0, alias="STEPLINE_PUSH_RATE", gt=0, le=2000)
    # pushes per second this worker makes as local activities (Temporal's task-queue limit
    # paces only regular ones); default STEPLINE_PUSH_RATE. With N workers: the channel's
    # rate / N, so that together they stay under it (beyond it, pushes go the regular way)
    worker_push_rate: float | None = Field(None, alias="STEPLINE_WORKER_PUSH_RATE", gt=0, le=2000)
    # the same messages due to several friends at once go as one LINE multicast (up to 500)
    multicast: bool = Field(True, alias="STEPLINE_MULTICAST")
    # seconds a LINE request may take before it is given up and retried with the same retry key
    line_timeout: float = Field(20.0, alias="STEPLINE_LINE_TIMEOUT", gt=0, le=50)
    # enrollment workflows a worker keeps in memory between their steps: one that wakes while
    # cached runs at once; one that was evicted is replayed from its history first (bench/)
    workflow_cache: int = Field(2500, alias="STEPLINE_WORKFLOW_CACHE", ge=0, le=1_000_000)
    # workflow tasks (and local activities) a worker runs at once: enrollments waking together
    # wait on the store's group commits and LINE, not on the CPU, so more in flight is more
    # done a second — until a task's turn takes longer than Temporal's task timeout (bench/)
    worker_tasks: int = Field(300, alias="STEPLINE_WORKER_TASKS", ge=2, le=10_000)
    # run workflows in Temporal's sandbox, a guard against non-deterministic calls. The test
    # suite always runs them in it (and replays saved histories), so production may go
    # without: a quarter less worker CPU and a third less memory (docs/PERFORMANCE.md)
    workflow_sandbox: bool = Field(False, alias="STEPLINE_WORKFLOW_SANDBOX")
    # who turns recorded webhook events into enrollments: `api`, the process that answered
    # the webhook; `worker`, every worker; or `process`, a process of its own that each API
    # process starts beside itself (app/processing.py). With either of the last two the API
    # only verifies, records and answers (docs/PERFORMANCE.md)
    webhook_processor: Literal["api", "worker", "process"] = Field(
        "api", alias="STEPLINE_WEBHOOK_PROCESSOR"
    )
    # LINE Login (route links, `GET /join/{route}`): a LINE Login channel linked to the OA
    line_login_channel_id: str | None = Field(None, alias="LINE_LOGIN_CHANNEL_ID")
    line_login_channel_secret: SecretStr | None = Field(None, alias="LINE_LOGIN_CHANNEL_SECRET")
    line_login_base_url: AnyHttpUrl = Field("https://access.line.me", alias="LINE_LOGIN_BASE_URL")
    friend_url: AnyHttpUrl | None = Field(None, alias="STEPLINE_FRIEND_URL")
    # the dashboard links each enrollment to its workflow in the Temporal UI (unset: no links)
    temporal_ui_url: AnyHttpUrl | None = Field(None, alias="STEPLINE_TEMPORAL_UI_URL")
    # admin API request bodies: larger ones are refused (413) before they are read; the biggest
    # valid body, an upload audience of 100,000 user IDs, is about 3.7 MB of JSON
    # (the webhook and the CSV import have limits of their own)
    max_body_bytes: int = Field(8 * 1024 * 1024, alias="STEPLINE_MAX_BODY_BYTES", gt=0)
    # wrong admin tokens (login form or bearer header) a client may try in a minute before it
    # is answered 429 (api/throttle.py); 0 turns the throttle off
    auth_failures_per_minute: int = Field(
        10, alias="STEPLINE_AUTH_FAILURES_PER_MINUTE", ge=0, le=100_000
    )
    # operations (core/metrics.py, core/logs.py): GET /metrics asks for this bearer when set
    metrics_token: SecretStr | None = Field(None, alias="STEPLINE_METRICS_TOKEN")
    # the worker's own Prometheus endpoint (its counters: sends, LINE latency, holds); off
    # when unset
    worker_metrics_port: int | None = Field(
        None, alias="STEPLINE_WORKER_METRICS_PORT", ge=1, le=65535
    )
    # the address it listens on: this machine only unless told (they are unauthenticated);
    # 0.0.0.0 in a container whose port a scraper on a private network reaches
    worker_metrics_host: str = Field(
        "127.0.0.1", alias="STEPLINE_WORKER_METRICS_HOST", min_length=1, max_length=255
    )
    # STEPLINE_WEBHOOK_PROCESSOR=process: the processing child's Prometheus endpoint (its
    # counters: enrolments, dispatch), on the worker's host setting; off when unset
    processor_metrics_port: int | None = Field(
        None, alias="STEPLINE_PROCESSOR_METRICS_PORT", ge=1, le=65535
    )
    # Temporal SDK metrics (temporal_…) of the worker's client and worker, host:port; off when
    # unset
    temporal_metrics_address: str | None = Field(None, alias="STEPLINE_TEMPORAL_METRICS_ADDRESS")
    # log lines as JSON objects (one a line, with enrollment, scenario, step and user ids) or
    # as text for a terminal (`stepline dev`)
    log_format: Literal["json", "text"] = Field("json", alias="STEPLINE_LOG_FORMAT")

    @classmethod
    def settings_customise_sources(
        cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ):
        """The environment, then `.env`, then `NAME_FILE` files (core/setting_files.py)."""
        files = FileValues(settings_cls, FROM_FILES)
        return init_settings, env_settings, dotenv_settings, files, file_secret_settings

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a database URL ({exc})") from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        return value

    @field_validator("temporal_metrics_address")
    @classmethod
    def _optional_host_port(cls, value: str | None) -> str | None:
        return None if value is None else cls._host_port(value)

    @property
    def line_api_base(self) -> str:
        return str(self.line_api_base_url).rstrip("/")

    @property
    def line_login_base(self) -> str:
        return str(self.line_login_base_url).rstrip("/")

    @property
    def public_base(self) -> str:
        return str(self.public_url).rstrip("/")

    @property
    def real_line(self) -> bool:
        """Whether LINE_API_BASE_URL is LINE's own (not the emulator)."""
        host = (self.line_api_base_url.host or "").lower()
        return host == "line.me" or host.endswith(".line.me")

    def admin_token_problem(self) -> str | None:
        """Why STEPLINE_ADMIN_TOKEN cannot guard a real channel's admin API (None: it can)."""
        token = self.admin_token.get_secret_value() if self.admin_token else ""
        if not token:
            return (
                "STEPLINE_ADMIN_TOKEN is not set: with a real LINE channel the admin API needs"
                f" a token of at least {MIN_ADMIN_TOKEN} characters"
            )
        if token == DEV_ADMIN_TOKEN:
            return (
                f"STEPLINE_ADMIN_TOKEN is the public dev token {DEV_ADMIN_TOKEN!r}: with a real"
                f" LINE channel set a secret one of at least {MIN_ADMIN_TOKEN} characters"
            )
        if len(token) < MIN_ADMIN_TOKEN:
            return (
                f"STEPLINE_ADMIN_TOKEN has {len(token)} characters: with a real LINE channel it"
                f" needs at least {MIN_ADMIN_TOKEN} (e.g. `openssl rand -hex 32`)"
            )
        return None

    def require_safe_admin(self, *, real: bool | None = None) -> "Settings":
        """Stop a process serving the admin API if a real channel's token is unsafe."""
        problem = self.admin_token_problem() if (self.real_line if real is None else real) else None
        if problem:
            die(problem)
        return self

    def real_channel_given(self) -> bool:
        """Whether a real LINE channel is configured (its secret and its token); one of the
        two alone stops the process: it is never completed with the emulator's."""
        given = {
            "LINE_CHANNEL_SECRET": self.line_channel_secret,
            "LINE_CHANNEL_ACCESS_TOKEN": self.line_channel_access_token,
        }
        present = [name for name, value in given.items() if value and value.get_secret_value()]
        if len(present) == 1:
            (missing,) = set(given) - set(present)
            die(
                f"{present[0]} is set but {missing} is not: set both for a real LINE channel,"
                " or neither to use the emulator"
            )
        return len(present) == 2

    def missing_line_login(self) -> list[str]:
        """The LINE Login variables route links need that are unset (or empty)."""
        secret = self.line_login_channel_secret
        missing = []
        if not (self.line_login_channel_id or "").strip():
            missing.append("LINE_LOGIN_CHANNEL_ID")
        if secret is None or not secret.get_secret_value():
            missing.append("LINE_LOGIN_CHANNEL_SECRET")
        return missing

    def require(self, *names: str) -> "Settings":
        """Stop the process with one clear line if a variable this process needs is unset."""
        by_alias = {f.alias: name for name, f in type(self).model_fields.items()}
        for env_name in names:
            if getattr(self, by_alias[env_name]) is None:
                die(f"{env_name} is not set (this process needs it; see README)")
        return self


def die(message: str) -> None:
    sys.stderr.write(f"stepline: {message}\n")
    sys.exit(2)


def load_settings(**overrides) -> Settings:
    """Settings from the environment; a malformed one stops the process naming the variable."""
    try:
        return Settings(**overrides)
    except SettingFileError as exc:
        die(str(exc))
        raise  # unreachable; keeps type checkers calm
    except ValidationError as exc:
        first = exc.errors()[0]
        if not first["loc"]:  # a rule over several settings: its message names them
            die(str(first["msg"]).removeprefix("Value error, "))
        die(f"{first['loc'][0]} is invalid: {first['msg']}")
        raise


@lru_cache
def get_settings() -> Settings:
    return load_settings()
