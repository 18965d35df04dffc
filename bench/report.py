"""`python -m bench.report RESULT.json`: put a bench run's figures into docs/PERFORMANCE.md.

A default run (no --waiting) replaces the text between `<!-- latest figures -->` and
`<!-- /latest figures -->`; a --waiting run the text between `<!-- waiting figures -->` and
`<!-- /waiting figures -->`. The rest of the document is written by hand."""

import json
import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from bench.__main__ import ROWS

DOC = Path(__file__).resolve().parent.parent / "docs" / "PERFORMANCE.md"
TARGETS = {
    "enrolments_per_s": "≥ 0.8×",
    "ack_p99_ms": "< 100 ms",
    "deliveries_per_s": "≥ 1.3×",
    "lateness_p99_s": "≤ 0.8×",
    "duplicates": "0",
    "worker_peak_rss_mb": "< 500 (100,000 waiting)",
}
app = typer.Typer(add_completion=False, help=__doc__)


def section(result: dict) -> tuple[str, str]:
    """(marker name, markdown) for one bench result."""
    plan = result["plan"]
    floor, stepline, ratio = result["floor"], result["stepline"], result["ratio"] or {}
    words = (
        f"{plan['friends']:,} friends, {plan['rate']:g} follows/s, "
        f"{'SQLite' if plan['database'] == 'sqlite' else 'PostgreSQL'}"
        f", STEPLINE_WEBHOOK_PROCESSOR={plan.get('webhook_processor', 'api')}"
    )
    if plan["waiting"]:
        words += f", {plan['waiting']:,} more enrollments waiting"
    repeats = result.get("repeats", 1)
    spreads = result.get("spread") or {}
    if repeats > 1:
        words += f"; medians of {repeats} runs of each phase, lowest–highest in brackets"
    lines = [
        f"`python -m bench` ({words}), {result['at']}, {result['machine']['cores']} cores:",
        "",
        "| | floor | stepline | stepline / floor | target |",
        "|---|---|---|---|---|",
    ]
    for field, label in ROWS:
        mine = stepline.get(field) if stepline else None
        theirs = floor.get(field) if floor else None
        if mine is None and theirs is None:
            continue
        share = ratio.get(field)
        floor_cell = _cell(theirs, (spreads.get("floor") or {}).get(field))
        mine_cell = _cell(mine, (spreads.get("stepline") or {}).get(field))
        lines.append(
            f"| {label} | {floor_cell} | {mine_cell} | {_cell(share)} | {TARGETS.get(field, '')} |"
        )
    lines.append("")
    for name, figures in (("floor", floor), ("stepline", stepline)):
        if figures:
            cpu = ", ".join(f"{k} {v:g}" for k, v in figures["cpu_ms_per_friend"].items())
            lines.append(f"CPU ms per enrollment, {name}: {cpu}.  ")
    return ("waiting figures" if plan["waiting"] else "latest figures"), "\n".join(lines)


def rewrite(document: str, name: str, text: str) -> str:
    pattern = re.compile(rf"(<!-- {name} -->\n)(?:.*?\n)?(<!-- /{name} -->)", re.DOTALL)
    if not pattern.search(document):
        raise ValueError(f"docs/PERFORMANCE.md has no <!-- {name} --> section")
    return pattern.sub(lambda match: match.group(1) + text + "\n" + match.group(2), document)


def _cell(value, between: list[float] | None = None) -> str:
    if value is None:
        return "–"
    if between is None or between[0] == between[1]:
        return f"{value:g}"
    return f"{value:g} ({between[0]:g}–{between[1]:g})"


@app.command()
def run(
    result: Annotated[Path, typer.Argument(help="a bench JSON")] = Path(
        "bench/results/latest.json"
    ),
    doc: Annotated[Path, typer.Option(help="the document to rewrite")] = DOC,
) -> None:
    """Rewrite the section of `doc` that this result's kind of run fills."""
    name, text = section(json.loads(result.read_text()))
    doc.write_text(rewrite(doc.read_text(), name, text))
    sys.stdout.write(f"{doc}: {name} from {result}\n")


if __name__ == "__main__":
    app()
