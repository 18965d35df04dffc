"""`stepline …`: run everything for development, load scenarios, simulate friends."""

import json
import secrets
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer

from cli.db import db_app
from cli.friends import friend_app
from cli.operations import operation_app
from cli.output import moment
from cli.quota import quota_app
from cli.scenarios import scenario_app
from cli.stats import stats
from cli.targets import fail, targets
from core import exits
from domain.line_ids import is_user_id

app = typer.Typer(
    help="stepline: step delivery for LINE Official Accounts",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
simulate_app = typer.Typer(
    help="Act as a LINE user (through the emulator) or a shop's website (events).",
    no_args_is_help=True,
)
emulator_app = typer.Typer(help="Look into the LINE emulator.", no_args_is_help=True)
app.add_typer(scenario_app, name="scenario")
app.add_typer(simulate_app, name="simulate")
app.add_typer(emulator_app, name="emulator")
app.add_typer(friend_app, name="friend")
app.add_typer(db_app, name="db")
app.add_typer(operation_app, name="operation")
app.add_typer(quota_app, name="quota")
app.command("stats")(stats)

USER_HELP = "LINE user ID (U + 32 hex); a new random one when omitted"


def _user(user_id: str | None) -> str:
    user_id = user_id or f"U{secrets.token_hex(16)}"
    if not is_user_id(user_id):
        raise typer.BadParameter("a LINE user ID is U followed by 32 lowercase hex characters")
    return user_id


@app.command()
def dev(
    api_port: int = 8000,
    temporal_port: int = 7233,
    ui_port: int = 8233,
    emulator_port: int = 8001,
    metrics_port: Annotated[int, typer.Option(help="the worker's /metrics")] = 9464,
    sdk_metrics_port: Annotated[int, typer.Option(help="the worker's Temporal SDK metrics")] = 9465,
    examples: Annotated[
        bool, typer.Option(help="load examples/ (active) and templates/ (draft)")
    ] = True,
    state_dir: Annotated[
        Path, typer.Option(help="Temporal's SQLite file, the app database, the emulator's state")
    ] = Path(".stepline"),
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh",
            help="start clean: remove Temporal's history, the app database and the emulator's "
            "state from the state folder first",
        ),
    ] = False,
    temporal: Annotated[
        str | None,
        typer.Option(
            help="host:port of an existing Temporal to use instead of the embedded dev server "
            "(with the STEPLINE_TEMPORAL_TLS_… and STEPLINE_TEMPORAL_API_KEY settings)",
        ),
    ] = None,
) -> None:
    """Run everything: Temporal dev server, worker, API, LINE emulator, example scenarios."""
    from cli.dev import DevRunner

    runner = DevRunner(
        api_port=api_port,
        temporal_port=temporal_port,
        ui_port=ui_port,
        emulator_port=emulator_port,
        metrics_port=metrics_port,
        sdk_metrics_port=sdk_metrics_port,
        examples=examples,
        state_dir=state_dir,
        fresh=fresh,
        temporal=temporal,
    )
    raise typer.Exit(runner.run())


def _simulate(action: str, user_id: str, body: dict | None = None) -> None:
    with targets().emulator() as emulator:
        answer = emulator.post(f"/emulator/users/{user_id}/{action}", json=body or {})
        fail(answer)
    result = answer.json()
    status = result.get("webhook_status")
    typer.echo(
        f"{action} {user_id}: webhook answered {status}"
        + (f" ({result['webhook_error']})" if result.get("webhook_error") else "")
    )
    if status != 200:
        raise typer.Exit(1)


@simulate_app.command("follow")
def simulate_follow(
    user_id: Annotated[str | None, typer.Argument(help=USER_HELP)] = None,
    name: Annotated[str | None, typer.Option(help="display name")] = None,
) -> None:
    """The user adds the account as a friend (a signed follow webhook)."""
    _simulate("follow", _user(user_id), {"display_name": name} if name else None)


@simulate_app.command("unfollow")
def simulate_unfollow(user_id: Annotated[str, typer.Argument(help="LINE user ID")]) -> None:
    """The user blocks the account (a signed unfollow webhook)."""
    _simulate("unfollow", _user(user_id))


@simulate_app.command("postback")
def simulate_postback(
    user_id: Annotated[str, typer.Argument(help="LINE user ID")],
    data: Annotated[str, typer.Argument(help="the postback data, e.g. answer=tea")],
    display_text: Annotated[
        str | None,
        typer.Option(help="shown in the chat as the user's message; LINE does not send it"),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="NAME=VALUE in postback.params, e.g. date=2026-12-24"),
    ] = None,
) -> None:
    """The user taps a postback option (a signed postback webhook)."""
    params = dict(_param(item) for item in param or [])
    body = {"data": data, "display_text": display_text, "params": params or None}
    _simulate("postback", _user(user_id), body)


def _param(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise typer.BadParameter(f"{text!r}: write NAME=VALUE, e.g. date=2026-12-24")
    return name, value


@simulate_app.command("message")
def simulate_message(
    user_id: Annotated[str, typer.Argument(help="LINE user ID")],
    text: Annotated[str, typer.Argument(help="what the user types")],
) -> None:
    """The user sends a text message (a signed message webhook)."""
    _simulate("message", _user(user_id), {"text": text})


def _property(text: str) -> tuple[str, object]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise typer.BadParameter(f"{text!r}: write NAME=VALUE, e.g. sku=A-100 or amount=4800")
    try:
        return name, json.loads(value)  # 4800 → a number, true → a boolean
    except ValueError:
        return name, value


@simulate_app.command("event")
def simulate_event(
    user_id: Annotated[str, typer.Argument(help="LINE user ID")],
    name: Annotated[str, typer.Argument(help="event name, e.g. cart_add or purchase")],
    prop: Annotated[
        list[str] | None, typer.Option("--property", "-p", help="NAME=VALUE, repeatable")
    ] = None,
) -> None:
    """The user does something on the web or in the shop (POST /events): event triggers,
    exits and wait_for steps react at once."""
    properties = dict(_property(item) for item in prop or [])
    with targets().api() as api:
        answer = api.post(
            "/events", json={"user_id": _user(user_id), "name": name, "properties": properties}
        )
        fail(answer)
    typer.echo(f"event {name} for {user_id} recorded (#{answer.json()['seq']})")


@emulator_app.command("messages")
def emulator_messages(
    user_id: Annotated[str | None, typer.Argument(help="only this user")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="raw JSON")] = False,
) -> None:
    """What LINE accepted for each user, in order."""
    with targets().emulator() as emulator:
        answer = emulator.get(
            "/emulator/messages", params={"user_id": user_id} if user_id else None
        )
        fail(answer)
    pushes = answer.json()
    if as_json:
        typer.echo(json.dumps(pushes, ensure_ascii=False, indent=2))
        return
    for push in pushes:
        state = "delivered" if push["delivered"] else f"not delivered ({push['reason']})"
        for message in push["messages"]:
            body = message.get("text") or message.get("altText") or message["type"]
            typer.echo(f"{moment(push['received_at'])}  {push['to']}  {state:<12}  {body}")


def main() -> None:
    """A server that cannot be reached is one line, not a traceback."""
    try:
        app()
    except Exception as exc:
        # httpx is imported by the commands that talk to a server (not by `--help`): when it
        # is not loaded, no call was made and the exception is not a transport error
        httpx = sys.modules.get("httpx")
        if httpx is None or not isinstance(exc, httpx.TransportError):
            raise
        url = exc.request.url  # client calls always carry their request
        typer.secho(
            f"stepline: cannot reach {url.scheme}://{url.netloc.decode()} ({type(exc).__name__}); "
            "is `stepline dev` running?",
            fg="red",
            err=True,
        )
        raise SystemExit(1) from None


def run() -> None:
    """The process's entry point: main(), then a command that used a Temporal client leaves
    with os._exit, as sdk-python#300 can abort an interpreter shutting down after one (the
    exit code would then be SIGABRT's instead of the command's)."""
    code: int | str | None = 0
    try:
        main()
    except SystemExit as exit_:
        code = exit_.code
    except Exception:
        if "temporalio.client" not in sys.modules:
            raise
        traceback.print_exc()
        code = 1
    if "temporalio.client" not in sys.modules:
        raise SystemExit(code)
    if isinstance(code, str):
        typer.echo(code, err=True)
        code = 1
    exits.leave(code or 0)


if __name__ == "__main__":
    run()
