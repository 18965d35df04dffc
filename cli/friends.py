"""`stepline friend …`: one friend's profile, enrollments and timeline; CSV attribute import."""

import json
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.wording import describe
from cli.output import cell, console, moment, show, table
from cli.targets import fail, targets
from domain.line_ids import is_user_id

if TYPE_CHECKING:  # rich is imported when a table is drawn (cli/output.py)
    from rich.console import Console

friend_app = typer.Typer(
    help="Look at a friend; import friend attributes from CSV.", no_args_is_help=True
)
CHUNK = 64 * 1024  # bytes read and sent at a time while uploading
IMPORT_READ_TIMEOUT = 600  # seconds: a big file takes the API a while to check


def _user(user_id: str) -> str:
    if not is_user_id(user_id):
        raise typer.BadParameter("a LINE user ID is U followed by 32 lowercase hex characters")
    return user_id


@friend_app.command("show")
def friend_show(
    user_id: Annotated[str, typer.Argument(help="LINE user ID (U + 32 hex)")],
    limit: Annotated[
        int, typer.Option(min=1, max=5000, help="timeline entries shown, the newest")
    ] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="the API's JSON")] = False,
) -> None:
    """Follow state, profile, attributes, tags, enrollments (why each is where it is) and the
    timeline of one friend."""
    user_id = _user(user_id)
    with targets().api() as api:
        friend = api.get(f"/friends/{user_id}")
        fail(friend)
        timeline = api.get(f"/friends/{user_id}/timeline", params={"limit": limit})
        fail(timeline)
        zones = _zones(api, friend.json(), timeline.json())
    if as_json:
        typer.echo(
            json.dumps(
                {"friend": friend.json(), "timeline": timeline.json()},
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    out = console()
    _profile(out, friend.json())
    _enrollments(out, friend.json()["enrollments"], zones)
    _timeline(out, timeline.json(), zones)


def _zones(api: Any, friend: dict[str, Any], timeline: dict[str, Any]) -> dict[str, str]:
    """Each scenario's timezone, for its rows' times (the others: the channel's)."""
    ids = {row["scenario_id"] for row in friend["enrollments"]}
    ids |= {entry["scenario_id"] for entry in timeline["entries"] if entry.get("scenario_id")}
    zones = {}
    for scenario_id in sorted(ids):
        answer = api.get(f"/scenarios/{scenario_id}")
        if answer.status_code == 200:
            zones[scenario_id] = answer.json()["definition"].get("timezone")
    return zones


def _profile(out: "Console", friend: dict[str, Any]) -> None:
    grid = table(["", ""])
    grid.show_header = False
    following = "yes" if friend["following"] else "no"
    rows = [
        ("display name", friend.get("display_name")),
        ("following", following),
        ("followed at", moment(friend.get("followed_at"))),
        ("blocked at", moment(friend.get("blocked_at"))),
        ("follow epoch", friend.get("epoch")),
        ("route", friend.get("route")),
        ("language", friend.get("language")),
        ("tags", friend.get("tags")),
        ("attributes", ", ".join(f"{k}={cell(v)}" for k, v in friend["attributes"].items())),
    ]
    for name, value in rows:
        grid.add_row(name, cell(value) if value != "" else "-")
    show(out, f"Friend {friend['user_id']}", grid)


def _enrollments(out: "Console", rows: list[dict[str, Any]], zones: dict[str, str]) -> None:
    if not rows:
        out.print("no enrollments")
        return
    columns = ["SCENARIO", "VER", "STATUS", "STEP", "NEXT WAKE", "HOLD", "SOURCE", "STARTED"]
    grid = table([*columns, "ERROR"], numeric=["VER"])
    for row in rows:
        now = row.get("explain") or row  # explain: the live state, when the API has it
        zone = zones.get(row["scenario_id"])
        grid.add_row(
            row["scenario_id"],
            str(row["version"]),
            now["status"],
            cell(now.get("step", row.get("current_step"))),
            moment(now.get("next_wake_at"), zone),
            cell(now.get("hold_reason")),
            cell(now.get("source")),
            moment(row["started_at"], zone),
            cell(now.get("error")),
        )
    show(out, "Enrollments", grid)


def _timeline(out: "Console", timeline: dict[str, Any], zones: dict[str, str]) -> None:
    entries = timeline["entries"]
    title = "Timeline" + (" (the newest entries)" if timeline.get("truncated") else "")
    grid = table(["AT", "KIND", "SCENARIO", "STEP", "WHAT"])
    for entry in entries:
        zone = zones.get(entry.get("scenario_id") or "")
        clock = partial(moment, timezone=zone)
        grid.add_row(
            clock(entry["at"]),
            entry["kind"],
            cell(entry.get("scenario_id")),
            cell(entry.get("step_id")),
            describe(entry, clock=clock, step_shown=True),
        )
    if entries:
        show(out, title, grid)
    else:
        out.print("nothing on the timeline yet")


@friend_app.command("import")
def friend_import(
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV: user_id,attr1,…"),
    ],
    dry_run: Annotated[bool, typer.Option(help="check the file and count, write nothing")] = False,
) -> None:
    """Merge attributes of many friends from a CSV file (user_id first, then one column per
    attribute), all or nothing: any problem in any row and nothing is written."""
    import httpx
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    size = file.stat().st_size
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console(stderr=True),
        transient=True,
    )
    with progress, targets().api() as api:
        sending = progress.add_task(f"uploading {file.name}", total=size)

        def chunks() -> Iterator[bytes]:
            with file.open("rb") as source:
                while chunk := source.read(CHUNK):
                    yield chunk
                    progress.advance(sending, len(chunk))
            progress.update(sending, description=f"{file.name} sent; the API is importing it")

        api.timeout = httpx.Timeout(30, read=IMPORT_READ_TIMEOUT)
        answer = api.post(
            "/friends/import",
            params={"dry_run": "true"} if dry_run else None,
            content=chunks(),
            headers={"Content-Type": "text/csv", "Content-Length": str(size)},
        )
    fail(answer)
    result = answer.json()
    verb = "would import" if dry_run else "imported"
    typer.echo(
        f"{file.name}: {verb} {result['imported']} friend(s): {result['created']} new, "
        f"{result['updated']} updated"
    )
    typer.echo(f"attributes: {', '.join(result['attributes']) or '-'}")
