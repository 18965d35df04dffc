"""`stepline quota …`: LINE's monthly plan as step delivery sees it — this month's use, and
the forecast of the pushes the waiting enrollments will make (GET /channel/quota/forecast)."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.output import cell, console, show, table
from cli.targets import fail, targets

if TYPE_CHECKING:  # rich is imported when a table is drawn (cli/output.py)
    from rich.console import Console

quota_app = typer.Typer(help="LINE's monthly plan: its use and its forecast.", no_args_is_help=True)


@quota_app.command("forecast")
def forecast(
    days: Annotated[
        bool, typer.Option("--days/--no-days", help="a line for each day, not only the months")
    ] = True,
) -> None:
    """The pushes the waiting enrollments will make each remaining day of this month and the
    next (Japan time, as LINE counts), against the plan and its reserve."""
    with targets().api() as api:
        answer = api.get("/channel/quota/forecast")
        fail(answer)
    render(answer.json(), console(), days=days)


def render(data: dict[str, Any], out: "Console", *, days: bool = True) -> None:
    plan = data["plan"]
    facts = table(["limit", "used", "source", "reserve %", "allowed"], numeric=["limit", "used"])
    facts.add_row(
        cell(plan["limit"]),
        cell(plan["used"]),
        plan["source"],
        cell(plan["reserve_percent"]),
        cell(plan["allowed"]),
    )
    show(out, "Plan (this month)", facts)
    months = table(
        ["month", "projected", "total", "runs out on", "reserve reached on"],
        numeric=["projected", "total"],
    )
    for month in data["months"]:
        months.add_row(
            month["month"],
            f"{month['projected']:,.0f}",
            f"{month['total']:,.0f}",
            cell(month["runs_out_on"]),
            cell(month["reserve_reached_on"]),
        )
    show(out, "Months", months)
    if days:
        grid = table(["date", "projected", "total"], numeric=["projected", "total"])
        for day in data["days"]:
            grid.add_row(day["date"], f"{day['projected']:,.1f}", f"{day['total']:,.0f}")
        show(out, "Days (Japan time)", grid)
    if data.get("warning"):
        out.print(f"warning: {data['warning']}", style="bold red", overflow="fold")
