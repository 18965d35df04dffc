"""`stepline scenario …`: validate and load definitions, list them, create them from templates,
and change their status (pause, resume, end: answered at once, --wait follows them)."""

import textwrap
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer

from cli import scenario_words
from cli.operations import run as run_operation
from cli.output import console, table
from cli.targets import fail, targets

scenario_app = typer.Typer(help="Create, update and list scenarios.", no_args_is_help=True)


def _as_json(value: Any) -> Any:
    """The YAML document as JSON can carry it: YAML reads an unquoted date and time (`until:
    2026-12-24T10:00:00+09:00`) as a datetime, which goes to the API as the ISO text again."""
    if isinstance(value, dict):
        return {key: _as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_json(item) for item in value]
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    return value


@scenario_app.command("apply")
def scenario_apply(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="YAML or JSON definition")
    ],
    scenario_id: Annotated[str | None, typer.Option("--id", help="update this scenario")] = None,
    activate: Annotated[
        bool, typer.Option(help="activate it (created or updated; a draft otherwise)")
    ] = False,
    migrate: Annotated[
        bool, typer.Option(help="a new version: move friends on their way to it")
    ] = False,
) -> None:
    """Validate a definition, then create it, or add a version to the scenario of the same name
    (none when the document is unchanged)."""
    # here, not at the top: the definition's checks import LINE's SDK (a second to import),
    # and YAML is read by this command alone
    import yaml

    from scenarios.validate import DefinitionError, validate_definition

    try:
        document = _as_json(yaml.safe_load(file.read_text(encoding="utf-8")))
        definition = validate_definition(document)
    except yaml.YAMLError as exc:
        typer.secho(f"{file}: not valid YAML: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    except DefinitionError as exc:
        typer.secho(f"{file}: {len(exc.errors)} problem(s)", fg="red", err=True)
        for error in exc.errors:
            typer.echo(f"  {error['path']}: {error['msg']}", err=True)
        raise typer.Exit(1) from None
    with targets().api() as api:
        if scenario_id is None:
            listed = api.get("/scenarios")
            fail(listed)
            scenario_id = next(
                (
                    s["id"]
                    for s in listed.json()
                    if s["name"] == definition.name and s["status"] != "ended"
                ),
                None,
            )
        done = scenario_words.apply(api, document, scenario_id, activate=activate, migrate=migrate)
    typer.echo(done["line"])
    scenario_words.warn(done.get("warnings") or [])


Wait = Annotated[bool, typer.Option(help="follow it until every enrollment has it")]


@scenario_app.command("pause")
def scenario_pause(scenario_id: Annotated[str, typer.Argument()], wait: Wait = False) -> None:
    """Hold every enrollment before its next send (answered at once; --wait follows it)."""
    run_operation(f"/scenarios/{quote(scenario_id, safe='')}/pause", wait=wait)


@scenario_app.command("resume")
def scenario_resume(
    scenario_id: Annotated[str, typer.Argument()],
    spread: Annotated[str, typer.Option(help="release them over this period (ISO 8601)")] = "PT5M",
    wait: Wait = False,
) -> None:
    """Let held enrollments go on, released over --spread."""
    path = f"/scenarios/{quote(scenario_id, safe='')}/resume"
    run_operation(path, wait=wait, params={"spread": spread})


@scenario_app.command("end")
def scenario_end(scenario_id: Annotated[str, typer.Argument()], wait: Wait = False) -> None:
    """End the scenario and every running enrollment of it."""
    run_operation(f"/scenarios/{quote(scenario_id, safe='')}/end", wait=wait)


@scenario_app.command("activate")
def scenario_activate(scenario_id: Annotated[str, typer.Argument()], wait: Wait = False) -> None:
    """Start enrolling friends (a paused scenario resumes)."""
    run_operation(f"/scenarios/{quote(scenario_id, safe='')}/activate", wait=wait)


@scenario_app.command("list")
def scenario_list() -> None:
    """Every scenario with its version, status and messages sent."""
    with targets().api() as api:
        answer = api.get("/scenarios")
        fail(answer)
    rows = answer.json()
    if not rows:
        typer.echo("no scenarios yet: stepline scenario apply templates/follow-up.yaml")
        return
    grid = table(["ID", "VER", "STATUS", "SENT", "NAME"], numeric=["VER", "SENT"])
    for row in rows:
        grid.add_row(
            row["id"], str(row["version"]), row["status"], str(row["sent_count"]), row["name"]
        )
    console().print(grid)
    scenario_words.warn([w for row in rows for w in row.get("warnings") or []])


def _list_templates() -> None:
    with targets().api() as api:
        answer = api.get("/templates")
        fail(answer)
    for row in answer.json():
        typer.echo(f"{row['name']:<20} {row['title']}")
        typer.echo(
            textwrap.fill(
                row["description"], 100, initial_indent=" " * 21, subsequent_indent=" " * 21
            )
        )


@scenario_app.command("template")
def scenario_template(
    name: Annotated[
        str | None,
        typer.Argument(metavar="NAME", help="template name, e.g. follow-up (see --list)"),
    ] = None,
    title: Annotated[
        str | None, typer.Option("--name", help="scenario name (default: the template's)")
    ] = None,
    activate: Annotated[bool, typer.Option(help="activate it after creating")] = False,
    delivery_cap: Annotated[
        int | None, typer.Option(min=1, help="messages it may send in total")
    ] = None,
    new: Annotated[
        bool, typer.Option("--new", help="another scenario even if one of its name is there")
    ] = False,
    list_: Annotated[bool, typer.Option("--list", help="list the templates")] = False,
) -> None:
    """Create a scenario from a ready template (templates/), printing its id; when a scenario
    of the same name is there already, that one (activated with --activate), unless --new."""
    if list_:
        _list_templates()
        return
    if name is None:
        raise typer.BadParameter("name a template, or --list to see them", param_hint="NAME")
    body: dict = {"activate": activate}
    if title is not None:
        body["name"] = title
    if delivery_cap is not None:
        body["delivery_cap"] = delivery_cap
    if new:
        body["new"] = True
    with targets().api() as api:
        answer = api.post(f"/templates/{quote(name, safe='')}/scenarios", json=body)
        fail(answer)
    done = answer.json()
    typer.echo(scenario_words.template_line(done, name))
    scenario_words.warn(done.get("warnings") or [])


@scenario_app.command("templates")
def scenario_templates() -> None:
    """The ready templates: name, scenario name, what it does."""
    _list_templates()
