"""The CLI's role in the composition root (app/roles.py has the API's and the worker's): where
a `stepline` command finds the API and the LINE emulator. On the standard library alone, so that a command
does not import the worker's and the API's object graph (temporalio, the store, LINE's SDK)
just to learn a URL."""

from collections.abc import Mapping
from dataclasses import dataclass

from core.secret_file import from_file  # the standard library alone, as this module


@dataclass(frozen=True)
class Endpoints:
    """Where a `stepline` command finds the API (and its admin token) and the LINE emulator."""

    api_url: str
    admin_token: str | None
    emulator_url: str | None


def cli_endpoints(environ: Mapping[str, str], dev: Endpoints | None) -> Endpoints:
    """The environment first (STEPLINE_PUBLIC_URL, STEPLINE_ADMIN_TOKEN or the file
    STEPLINE_ADMIN_TOKEN_FILE names, as the settings read it; LINE_API_BASE_URL unless it is
    LINE's own), else what `stepline dev` is running (`dev`). A token file that cannot be used
    raises core.secret_file.SettingFileError, naming the variable."""
    line_api = environ.get("LINE_API_BASE_URL")
    emulator = line_api if line_api and "api.line.me" not in line_api else None
    return Endpoints(
        api_url=(
            environ.get("STEPLINE_PUBLIC_URL") or (dev.api_url if dev else "http://localhost:8000")
        ).rstrip("/"),
        admin_token=from_file(environ, "STEPLINE_ADMIN_TOKEN")
        or environ.get("STEPLINE_ADMIN_TOKEN")
        or (dev.admin_token if dev else None),
        emulator_url=emulator or (dev.emulator_url if dev else None),
    )
