"""`stepline scenario pause|resume|end ID` and `stepline operation show|list`: a bulk change is
answered at once; these follow it (with --wait, until it is done, with a progress bar)."""

import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.output import console, table
from cli.targets import fail, targets

if TYPE_CHECKING:
    import httpx

operation_app = typer.Typer(
    help="Follow bulk operations (pause, resume, end…).", no_args_is_help=True
)
FINISHED = ("done", "superseded")
POLL = 0.5


def _line(op: dict[str, Any]) -> str:
    where = f" of {op['scenario_id']}" if op.get("scenario_id") else ""
    error = f"  (last step failed: {op['last_error']})" if op.get("last_error") else ""
    return f"{op['id']}  {op['action']}{where}  {op['status']}  {op['done']}/{op['total']}{error}"


def follow(api: "httpx.Client", op: dict[str, Any], *, timeout: float | None = None) -> dict:
    """Poll the operation until it is finished, a progress bar on the way."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    deadline = None if timeout is None else time.monotonic() + timeout
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console()
    ) as bar:
        task = bar.add_task(f"{op['action']} {op.get('scenario_id') or ''}", total=op["total"])
        while op["status"] not in FINISHED:
            if deadline is not None and time.monotonic() > deadline:
                break
            time.sleep(POLL)
            answer = api.get(f"/operations/{op['id']}")
            fail(answer)
            op = answer.json()
            bar.update(task, completed=op["done"], total=max(op["total"], op["done"]))
    return op


def run(path: str, *, wait: bool, params: dict[str, str] | None = None) -> None:
    """POST a scenario's status change; print it and its operation (followed with --wait)."""
    with targets().api() as api:
        answer = api.post(path, params=params)
        fail(answer)
        changed = answer.json()
        typer.echo(f"{changed['id']}  v{changed['version']}  {changed['status']}")
        for warning in changed.get("warnings") or []:  # follow scenarios taking the same friends
            typer.secho(f"warning: {warning['msg']}", fg="yellow", err=True)
        op = changed.get("operation")
        if op is None:
            return
        if wait:
            op = follow(api, op)
        typer.echo(_line(op))
        if op["status"] not in FINISHED:
            typer.echo(f"follow it: stepline operation show {op['id']} --wait")


@operation_app.command("show")
def operation_show(
    operation_id: Annotated[str, typer.Argument(help="op_… (as a pause, resume… printed it)")],
    wait: Annotated[bool, typer.Option(help="until it is done, with a progress bar")] = False,
) -> None:
    """How far a bulk operation has got."""
    with targets().api() as api:
        answer = api.get(f"/operations/{operation_id}")
        fail(answer)
        op = answer.json()
        if wait:
            op = follow(api, op)
    typer.echo(_line(op))


@operation_app.command("list")
def operation_list(
    scenario_id: Annotated[str | None, typer.Option("--scenario", help="of this scenario")] = None,
) -> None:
    """Operations under way (or the newest ones), or a scenario's."""
    with targets().api() as api:
        answer = api.get("/operations", params={"scenario_id": scenario_id} if scenario_id else {})
        fail(answer)
    rows = answer.json()
    if not rows:
        typer.echo("no operations")
        return
    grid = table(["ID", "ACTION", "SCENARIO", "STATUS", "DONE", "TOTAL"], numeric=["DONE", "TOTAL"])
    for op in rows:
        grid.add_row(
            op["id"], op["action"], op.get("scenario_id") or "", op["status"],
            str(op["done"]), str(op["total"]),
        )  # fmt: skip
    console().print(grid)
