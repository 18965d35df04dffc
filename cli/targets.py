"""Which API and emulator a command talks to: the environment first (STEPLINE_PUBLIC_URL,
STEPLINE_ADMIN_TOKEN or STEPLINE_ADMIN_TOKEN_FILE, LINE_API_BASE_URL), else what `stepline dev`
is running (the CLI's role in the composition root, app/endpoints.py: the standard library
alone, for a quick start)."""

import os
import sys
import types
from typing import TYPE_CHECKING

import typer

from app.endpoints import Endpoints, cli_endpoints
from cli import devstate
from core.secret_file import SettingFileError

if TYPE_CHECKING:  # imported when a client is made: `stepline --help` needs no HTTP client
    import httpx


PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def _no_httpx_cli() -> None:
    raise SystemExit("httpx's command line is not loaded by stepline: run `httpx` itself")


def _httpx() -> types.ModuleType:
    """httpx without its own command line: its __init__ imports httpx._main (click, pygments,
    rich's console, progress and syntax: 0.07 s) whenever click is installed, as uvicorn
    brings it; stepline never runs it. In a process that imported httpx already, that httpx."""
    if "httpx" not in sys.modules:
        stub = types.ModuleType("httpx._main")
        stub.main = _no_httpx_cli  # type: ignore[attr-defined]
        sys.modules.setdefault("httpx._main", stub)
    import httpx

    return httpx


def client(base_url: str, headers: dict[str, str] | None = None) -> "httpx.Client":
    """An HTTP client for one of stepline's servers. For a plain-HTTP URL reached without a
    proxy no TLS is ever made: the client gets a context that trusts nothing (a TLS connection
    would fail, never go unverified) instead of the one httpx builds from certifi's CA bundle
    for every client, a twentieth of a second of the command's start-up."""
    httpx = _httpx()

    extra = {}
    if base_url.startswith("http://") and not any(os.environ.get(name) for name in PROXIES):
        import ssl

        extra["verify"] = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return httpx.Client(base_url=base_url, headers=headers or {}, timeout=30, **extra)


class Targets(Endpoints):
    def api(self) -> "httpx.Client":
        headers = {"Authorization": f"Bearer {self.admin_token}"} if self.admin_token else {}
        return client(self.api_url, headers)

    def emulator(self) -> "httpx.Client":
        if not self.emulator_url:
            raise typer.BadParameter(
                "no LINE emulator found: is `stepline dev` running (and done starting)? With real "
                "LINE credentials it starts none; LINE_API_BASE_URL can point at one"
            )
        return client(self.emulator_url)


def targets() -> Targets:
    dev = devstate.load()
    try:
        found = cli_endpoints(
            os.environ,
            Endpoints(dev.api_url, dev.admin_token, dev.emulator_url) if dev else None,
        )
    except SettingFileError as exc:  # STEPLINE_ADMIN_TOKEN_FILE: one line, as the settings'
        typer.secho(f"stepline: {exc}", fg="red", err=True)
        raise typer.Exit(2) from None
    return Targets(found.api_url, found.admin_token, found.emulator_url)


def fail(response: "httpx.Response") -> None:
    """Stop with the API's own words when it refused."""
    if response.is_success:
        return
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text
    if isinstance(detail, list):
        detail = "\n".join(f"  {d.get('path', '?')}: {d.get('msg', d)}" for d in detail)
    typer.secho(
        f"{response.request.method} {response.request.url.path} → {response.status_code}",
        fg="red",
        err=True,
    )
    typer.echo(detail, err=True)
    raise typer.Exit(1)
