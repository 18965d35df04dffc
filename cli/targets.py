"""Which API and emulator a command talks to: the environment first (STEPLINE_PUBLIC_URL,
STEPLINE_ADMIN_TOKEN, LINE_API_BASE_URL), else what `stepline dev` is running."""

import os
from dataclasses import dataclass

import httpx
import typer

from cli import devstate


@dataclass
class Targets:
    api_url: str
    admin_token: str | None
    emulator_url: str | None

    def api(self) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.admin_token}"} if self.admin_token else {}
        return httpx.Client(base_url=self.api_url, headers=headers, timeout=30)

    def emulator(self) -> httpx.Client:
        if not self.emulator_url:
            raise typer.BadParameter(
                "no LINE emulator found: is `stepline dev` running (and done starting)? With real "
                "LINE credentials it starts none; LINE_API_BASE_URL can point at one"
            )
        return httpx.Client(base_url=self.emulator_url, timeout=30)


def targets() -> Targets:
    dev = devstate.load()
    line_api = os.environ.get("LINE_API_BASE_URL")
    emulator = line_api if line_api and "api.line.me" not in line_api else None
    return Targets(
        api_url=(
            os.environ.get("STEPLINE_PUBLIC_URL")
            or (dev.api_url if dev else "http://localhost:8000")
        ).rstrip("/"),
        admin_token=os.environ.get("STEPLINE_ADMIN_TOKEN") or (dev.admin_token if dev else None),
        emulator_url=(emulator or (dev.emulator_url if dev else None)),
    )


def fail(response: httpx.Response) -> None:
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
