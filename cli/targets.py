"""Which API and emulator a command talks to: the environment first (STEPLINE_PUBLIC_URL,
STEPLINE_ADMIN_TOKEN, LINE_API_BASE_URL), else what `stepline dev` is running (the CLI's role
in the composition root, app/endpoints.py: the standard library alone, for a quick start)."""

import os
from typing import TYPE_CHECKING

import typer

from app.endpoints import Endpoints, cli_endpoints
from cli import devstate

if TYPE_CHECKING:  # imported when a client is made: `stepline --help` needs no HTTP client
    import httpx


class Targets(Endpoints):
    def api(self) -> "httpx.Client":
        import httpx

        headers = {"Authorization": f"Bearer {self.admin_token}"} if self.admin_token else {}
        return httpx.Client(base_url=self.api_url, headers=headers, timeout=30)

    def emulator(self) -> "httpx.Client":
        import httpx

        if not self.emulator_url:
            raise typer.BadParameter(
                "no LINE emulator found: is `stepline dev` running (and done starting)? With real "
                "LINE credentials it starts none; LINE_API_BASE_URL can point at one"
            )
        return httpx.Client(base_url=self.emulator_url, timeout=30)


def targets() -> Targets:
    dev = devstate.load()
    found = cli_endpoints(
        os.environ,
        Endpoints(dev.api_url, dev.admin_token, dev.emulator_url) if dev else None,
    )
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
