"""The settings the deployment files (docker-compose.yml, deploy/) pass to the API and the worker,
grouped by what they are for, and the names a process accepts: every `Settings` field's alias,
plus `<alias>_FILE` for the settings that may be read from a file (core/config.py)."""

from core import config
from core.config import FROM_FILES, Settings

# docs/CONTRACT.md §2's variables: the API checks webhook signatures and guards the admin API;
# the worker pushes through the Messaging API. Both need the database, Temporal, the task queue,
# the public URL (tracked links) and the LINE API base.
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
# for Temporal, the admin API's body limit, …
TUNING = {
    "STEPLINE_LINE_TIMEOUT",
    "STEPLINE_TEMPORAL_CONNECT_TIMEOUT",
    "STEPLINE_MAX_BODY_BYTES",
    "STEPLINE_WORKFLOW_CACHE",
    "STEPLINE_WORKER_TASKS",
    "STEPLINE_WORKFLOW_SANDBOX",
    "STEPLINE_WORKER_PUSH_RATE",
    "STEPLINE_MULTICAST",
    "STEPLINE_WEBHOOK_PROCESSOR",
    "STEPLINE_AUTH_FAILURES_PER_MINUTE",
}
# ours: metrics, logs and the dashboard's Temporal UI links (defaults off, open, JSON, none)
OPERATIONS = {
    "STEPLINE_TEMPORAL_UI_URL",
    "STEPLINE_METRICS_TOKEN",
    "STEPLINE_WORKER_METRICS_PORT",
    "STEPLINE_PROCESSOR_METRICS_PORT",
    "STEPLINE_WORKER_METRICS_HOST",
    "STEPLINE_TEMPORAL_METRICS_ADDRESS",
    "STEPLINE_LOG_FORMAT",
    "STEPLINE_TIMEZONE",
    "STEPLINE_QUOTA_FORECAST_SECONDS",  # the API's own quota forecast, for /metrics (issue 22)
}
# ours (issue 21): a Temporal cluster behind TLS or mTLS, or Temporal Cloud's API key
TEMPORAL_SECURITY = {
    "STEPLINE_TEMPORAL_TLS",
    "STEPLINE_TEMPORAL_TLS_CA",
    "STEPLINE_TEMPORAL_TLS_CERT",
    "STEPLINE_TEMPORAL_TLS_KEY",
    "STEPLINE_TEMPORAL_TLS_SERVER_NAME",
    "STEPLINE_TEMPORAL_API_KEY",
}
# ours (issue 21): how long a stopping worker gives the activities under way
LIFECYCLE = {"STEPLINE_WORKER_GRACE_SECONDS"}

ALL = SPEC_VARIABLES | ROUTE_LINKS | DELIVERY | TUNING | OPERATIONS | TEMPORAL_SECURITY | LIFECYCLE

# the secrets: never in a ConfigMap, always from a file in Kubernetes
SECRETS = set(FROM_FILES)
FILE_SUFFIX = "_FILE"


def settings_aliases() -> set[str]:
    return {field.alias for field in Settings.model_fields.values() if field.alias}


def from_files() -> set[str]:
    """The settings core/config.py reads from `<NAME>_FILE` (empty before it knew files)."""
    return set(getattr(config, "FROM_FILES", ()))


def accepted() -> set[str]:
    """Every variable name a stepline process reads."""
    return settings_aliases() | {name + FILE_SUFFIX for name in from_files()}


def setting_of(variable: str) -> str:
    return variable.removesuffix(FILE_SUFFIX)
