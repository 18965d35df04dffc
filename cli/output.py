"""Readable output for the commands: rich tables on a terminal, the same tables in plain text
(no colours, no wrapping at 80 columns) when the output goes to a pipe or a file. rich is
imported when a table is drawn: a command that only echoes lines (`emulator messages`) or
`--help` does without it (tests/cli/test_startup_imports.py)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

PLAIN_WIDTH = 200  # a pipe has no width: wide enough that rows stay on one line


def console(*, stderr: bool = False) -> Console:
    """A console for this command's output (created per call: tests swap sys.stdout)."""
    from rich.console import Console

    out = Console(stderr=stderr, highlight=False, markup=False, soft_wrap=False)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out = Console(
            stderr=stderr, highlight=False, markup=False, soft_wrap=False, width=PLAIN_WIDTH
        )
    return out


def table(columns: Sequence[str], *, numeric: Iterable[str] = ()) -> Table:
    """A table with these headers; `numeric` columns are right-aligned."""
    from rich import box
    from rich.table import Table

    right = set(numeric)
    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for name in columns:
        grid.add_column(name, justify="right" if name in right else "left", overflow="fold")
    return grid


def show(out: Console, title: str, grid: Table) -> None:
    """A table under its title (a title of its own line: never wrapped to the table's width)."""
    out.print(title, style="bold", overflow="ignore", crop=False)
    out.print(grid)
    out.print()


def cell(value: Any) -> str:
    """A JSON value as table text: `-` for null, lists joined, objects as compact JSON."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ", ".join(cell(item) for item in value) or "-"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")) if value else "-"
    return str(value)


def rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def zone(name: str | None = None) -> ZoneInfo:
    """`name` (a scenario's timezone), else the channel's: STEPLINE_TIMEZONE, Asia/Tokyo by
    default — not this machine's, which may be anywhere."""
    for candidate in (name, os.environ.get("STEPLINE_TIMEZONE"), "Asia/Tokyo"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("Asia/Tokyo")


def moment(value: str | None, timezone: str | None = None) -> str:
    """An ISO timestamp from the API, to the second, in the scenario's or the channel's
    timezone (`zone`), its zone named: `2026-12-07 10:00:00 JST`."""
    if not value:
        return "-"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    return parsed.astimezone(zone(timezone)).strftime("%Y-%m-%d %H:%M:%S %Z")
