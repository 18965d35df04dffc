"""`python -m bench` (= `make bench`): the floor and stepline, side by side, on this machine."""

import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer

from bench import entry, quiet
from bench.measure import Figures
from bench.phases import floor_phase, stepline_phase
from bench.plan import Plan
from bench.repeats import median, spread

RESULT = Path("bench/results/latest.json")
app = typer.Typer(add_completion=False, help=__doc__)
ROWS = [  # (field, label)
    ("ack_p50_ms", "webhook ack p50 (ms)"),
    ("ack_p99_ms", "webhook ack p99 (ms)"),
    ("unanswered", "webhooks sent again"),
    ("arrival_per_s", "follows sent / s"),
    ("enrolments_per_s", "enrolments started / s"),
    ("enrolled_before_t_s", "all enrolled, seconds before T"),
    ("waiting_enrolments_per_s", "--waiting enrolments / s"),
    ("deliveries_per_s", "deliveries / s after T"),
    ("lateness_p50_s", "lateness p50 (s)"),
    ("lateness_p99_s", "lateness p99 (s)"),
    ("lateness_max_s", "lateness max (s)"),
    ("delivered", "pushes delivered"),
    ("duplicates", "duplicate pushes"),
    ("worker_peak_rss_mb", "worker peak RSS (MB)"),
    ("server_peak_rss_mb", "server peak RSS (MB)"),
    ("db_bytes_per_enrollment", "database bytes / enrollment"),
    ("seconds", "phase wall time (s)"),
]


def ratios(floor: Figures, stepline: Figures) -> dict[str, float | None]:
    """stepline / floor for every figure both have."""
    result: dict[str, float | None] = {}
    for field, _label in ROWS:
        ours, theirs = getattr(stepline, field), getattr(floor, field)
        result[field] = round(ours / theirs, 2) if ours is not None and theirs else None
    return result


def table(floor: Figures | None, stepline: Figures | None) -> str:
    lines = [f"{'':32} {'floor':>12} {'stepline':>12} {'ratio':>8}"]
    for field, label in ROWS:
        a = getattr(floor, field) if floor else None
        b = getattr(stepline, field) if stepline else None
        ratio = f"{b / a:.2f}" if a and b is not None else ""
        lines.append(f"{label:32} {_cell(a):>12} {_cell(b):>12} {ratio:>8}")
    return "\n".join(lines)


def _last(runs: dict[str, list[Figures]]) -> tuple[Figures | None, Figures | None]:
    return (runs["floor"] or [None])[-1], (runs["stepline"] or [None])[-1]


def _cell(value) -> str:
    return "-" if value is None else f"{value:g}"


@app.command()
def run(
    friends: Annotated[int, typer.Option(help="friends who all wake at the same moment T")] = 2000,
    rate: Annotated[float, typer.Option(help="follows (floor: starts) per second")] = 200.0,
    slack: Annotated[
        float | None, typer.Option(help="seconds from the last follow to T (20 + friends/50)")
    ] = None,
    waiting: Annotated[
        int, typer.Option(help="more enrollments, waiting past the run (stepline)")
    ] = 0,
    phase: Annotated[str, typer.Option(help="both | floor | stepline")] = "both",
    database: Annotated[
        str, typer.Option(help="stepline's store: sqlite, or a PostgreSQL URL (a fresh database)")
    ] = "sqlite",
    webhook_processor: Annotated[
        str,
        typer.Option(
            help="STEPLINE_WEBHOOK_PROCESSOR of the stepline phase: api | worker | process"
        ),
    ] = "process",
    repeats: Annotated[
        int, typer.Option(help="runs of each phase (floor and stepline in turn): the medians")
    ] = 3,
    out: Annotated[Path, typer.Option(help="the figures as JSON")] = RESULT,
    keep: Annotated[Path | None, typer.Option(help="keep logs and databases here")] = None,
) -> None:
    """Start a dev server, LINE stand-in, worker (and API) per phase; print the figures."""
    if phase not in ("both", "floor", "stepline"):
        raise typer.BadParameter("must be both, floor or stepline", param_hint="--phase")
    if webhook_processor not in ("api", "worker", "process"):
        raise typer.BadParameter("must be api, worker or process", param_hint="--webhook-processor")
    plan = Plan(
        friends=friends,
        rate=rate,
        waiting=waiting,
        database=database,
        slack=slack,
        webhook_processor=webhook_processor,
    )
    if repeats < 1:
        raise typer.BadParameter("must be 1 or more", param_hint="--repeats")
    folder = keep or Path(tempfile.mkdtemp(prefix="stepline-bench-"))
    runs: dict[str, list[Figures]] = {"floor": [], "stepline": []}
    for n in range(repeats):  # in turn, so that a slower spell of the machine hits both
        here = folder / f"run-{n + 1}" if repeats > 1 else folder
        here.mkdir(parents=True, exist_ok=True)
        if phase in ("both", "floor"):
            quiet.settle()
            runs["floor"].append(asyncio.run(floor_phase(here, plan)))
        if phase != "floor":
            quiet.settle()
            runs["stepline"].append(asyncio.run(stepline_phase(here, plan)))
        if repeats > 1:
            sys.stdout.write(f"run {n + 1} of {repeats}:\n{table(*_last(runs))}\n")
    floor = median(runs["floor"]) if runs["floor"] else None
    stepline = median(runs["stepline"]) if runs["stepline"] else None
    if repeats > 1:
        sys.stdout.write(f"medians of {repeats} runs:\n")
    sys.stdout.write(table(floor, stepline) + "\n")
    for name, figures in (("floor", floor), ("stepline", stepline)):
        if figures:
            cpu = ", ".join(f"{k} {v:g}" for k, v in figures.cpu_ms_per_friend.items())
            sys.stdout.write(f"CPU ms per friend, {name}: {cpu}\n")
    result = {
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cores": os.cpu_count()},
        "plan": {
            "friends": friends,
            "rate": rate,
            "waiting": waiting,
            "database": database,
            "webhook_processor": webhook_processor,
        },
        "repeats": repeats,
        "floor": floor.model_dump() if floor else None,
        "stepline": stepline.model_dump() if stepline else None,
        "ratio": ratios(floor, stepline) if floor and stepline else None,
        "spread": {name: spread(figures) for name, figures in runs.items() if figures},
        "runs": {name: [run.model_dump() for run in figures] for name, figures in runs.items()},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    sys.stdout.write(f"figures written to {out}\n")
    if keep is None:  # a run that failed keeps its logs and databases for a look
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    entry.main(app, "bench")
