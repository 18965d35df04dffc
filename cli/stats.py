"""`stepline stats SCENARIO_ID`: a scenario's numbers as tables (GET /scenarios/{id}/stats),
or the API's CSV with `--csv`. Columns the API does not send (an older server) are left out."""

from datetime import date, datetime, time
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

import typer

from cli.output import cell, console, rate, show, table, zone
from cli.targets import fail, targets

if TYPE_CHECKING:  # rich is imported when a table is drawn (cli/output.py)
    from rich.console import Console

SUMMARY = ["enrolled", "completed", "active", "blocked", "exited", "ended", "failed"]
SUMMARY += ["messages_sent", "converted", "conversion_rate"]
STEP_COLUMNS = ["id", "type", "entered", "sent", "failed", "clicks", "unique_clicks"]
STEP_COLUMNS += ["conversions", "blocked", "replies", "counted", "cost_yen", "saved_yen"]
COSTS = ["messages_sent", "replies", "counted", "message_price_yen", "cost_yen", "saved_yen"]
HOLDOUT_COLUMNS = ["step", "holdout", "holdout_taken", "holdout_conversions", "holdout_rate"]
HOLDOUT_COLUMNS += ["treated", "treated_taken", "treated_conversions", "treated_rate"]
HOLDOUT_COSTS = ["step", "holdout", "incremental_conversions", "counted", "cost_yen"]
HOLDOUT_COSTS += ["cost_per_incremental_conversion"]
BRANCH_COLUMNS = ["step", "type", "label", "taken", "conversions", "conversion_rate"]
TEST_COLUMNS = ["step", "test", "arms", "statistic", "dof", "p_value", "significant", "reason"]
ALWAYS = {
    "id",
    "step",
    "label",
    "entered",
    "sent",
    "failed",
    "clicks",
    "taken",
}  # docs/CONTRACT.md §7
TEXT = {"id", "type", "step", "label", "test", "arms", "reason", "significant", "holdout"}
TEXT |= {"treated"}
YEN = {"message_price_yen", "cost_yen", "saved_yen", "cost_per_incremental_conversion"}


def _moment(text: str, option: str) -> str:
    """ISO date or date-time; without an offset it is in the channel's timezone (STEPLINE_TIMEZONE,
    Asia/Tokyo by default), as the CLI shows times — not this machine's."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date or date-time, e.g. 2026-04-01 or 2026-04-01T09:00+09:00",
            param_hint=option,
        ) from None
    if len(text) <= 10:  # a plain date: from its midnight
        parsed = datetime.combine(date.fromisoformat(text), time())
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=zone())).isoformat()


def stats(
    scenario_id: Annotated[str, typer.Argument(help="the scenario's id")],
    from_: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="enrollments started from (ISO date or date-time; without an offset, in the"
            " channel's timezone: STEPLINE_TIMEZONE, Asia/Tokyo by default)",
        ),
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="… and before (ISO, read as --from is)")
    ] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="print the API's CSV instead")] = False,
) -> None:
    """A scenario's stats: totals, what the messages cost, each step, each branch and split arm,
    significance tests, holdouts."""
    params: dict[str, str] = {}
    if from_:
        params["from"] = _moment(from_, "--from")
    if to:
        params["to"] = _moment(to, "--to")
    if as_csv:
        params["format"] = "csv"
    with targets().api() as api:
        answer = api.get(f"/scenarios/{quote(scenario_id, safe='')}/stats", params=params)
        fail(answer)
    if as_csv:
        if "csv" not in answer.headers.get("content-type", ""):
            typer.secho("this API does not serve stats as CSV: update stepline", fg="red", err=True)
            raise typer.Exit(1)
        typer.echo(answer.text.removeprefix("\ufeff"), nl=False)
        return
    render(answer.json(), console(), scenario_id=scenario_id)


def render(data: dict[str, Any], out: "Console", *, scenario_id: str = "") -> None:
    """The stats JSON as tables on `out`."""
    summary = [key for key in SUMMARY if data.get(key) is not None]
    totals = table([_header(k) for k in summary])
    for column in totals.columns:
        column.justify = "right"
    totals.add_row(*(_value(key, data[key]) for key in summary))
    show(out, f"Scenario {scenario_id}".strip(), totals)
    if data.get("goal"):
        out.print(f"goal: {cell(data['goal'])}")
    if "counted" in data:  # an older server sends no costs
        _rows(out, "Messages and costs (replies are free)", COSTS, [data], others=False)
        if data.get("message_price_yen") is None:
            out.print("costs: unknown until the channel policy sets message_price_yen")
    _rows(out, "Steps", STEP_COLUMNS, data.get("steps") or [])
    _rows(out, "Branches and arms", BRANCH_COLUMNS, data.get("branches") or [])
    _rows(out, "Significance tests", TEST_COLUMNS, data.get("tests") or [])
    holdouts = data.get("holdouts") or []
    _rows(out, "Holdouts", HOLDOUT_COLUMNS, holdouts, others=False)
    _rows(out, "What the sends added (against the holdout)", HOLDOUT_COSTS, holdouts, others=False)


def _rows(
    out: "Console", title: str, preferred: list[str], rows: list[dict], *, others: bool = True
) -> None:
    if not rows:
        return
    # the known columns the API sent with a value, in their order, then any new ones
    present = [
        key
        for key in preferred
        if (key in ALWAYS and any(key in row for row in rows))
        or any(row.get(key) is not None for row in rows)
    ]
    present += [
        key
        for key in dict.fromkeys(key for row in rows for key in row)
        if others and key not in preferred and any(row.get(key) is not None for row in rows)
    ]
    grid = table([_header(k) for k in present])
    for column, key in zip(grid.columns, present, strict=True):
        column.justify = "left" if key in TEXT else "right"
    for row in rows:
        grid.add_row(*(_value(key, row.get(key)) for key in present))
    show(out, title, grid)


def _header(key: str) -> str:
    return key.replace("_", " ").upper()


def _value(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key.endswith("rate"):
        return rate(value)
    if key == "p_value":
        return "<0.0001" if value < 0.0001 else f"{value:.4f}"
    if key == "statistic":
        return f"{value:.3f}"
    if key in ("arms", "treated"):
        return " / ".join(value)
    if key in YEN:
        return f"¥{value:,.2f}".removesuffix(".00")
    if key == "incremental_conversions":
        return f"{value:,.2f}".removesuffix(".00")
    return cell(value)
