"""The burst's figures (bench/burst.py) as docs/PERFORMANCE.md shows them, between
`<!-- burst figures -->` and `<!-- /burst figures -->`. `python -m bench.burst_report
[RESULT.json]` writes them there from a run's JSON (bench/results/burst-latest.json)."""

import json
import sys
from pathlib import Path

from bench.bulk import DOC, between_markers

MODES = {"multicast": "true", "push": "false"}  # mode → STEPLINE_MULTICAST
ROWS = [  # (label, how a mode's figures give it)
    ("all held, seconds after the upload / before T", lambda f: _held(f)),
    ("last message arrived, seconds after T", lambda f: _n(f["last_arrival_s"], ".1f")),
    ("messages delivered / s during the release", lambda f: _n(f["deliveries_per_s"], ",.1f")),
    ("lateness p50 / p99 / max (s)", lambda f: _lateness(f)),
    (
        "friends reached / messages delivered",
        lambda f: f"{f['friends_reached']:,} / {f['delivered']:,}",
    ),  # noqa: E501
    ("LINE requests: push / multicast", lambda f: _requests(f)),
    ("LINE requests per delivered message", lambda f: _n(f["requests_per_message"], ".3f")),
    ("429s (rate limit) / 409s (retry key taken)", lambda f: _refusals(f)),
    ("duplicates", lambda f: str(f["duplicates"])),
    ("CPU during the release, % of one core: worker / server / API / stand-in", lambda f: _cpu(f)),  # noqa: E501
    (
        "the machine busy during the release, % (2 cores: 200)",
        lambda f: str(f["cpu_percent"]["machine"]),
    ),  # noqa: E501
    ("workflow tasks waiting for the worker, peak", lambda f: _n(f.get("backlog_max"), ",")),
]


def table(figures: dict) -> str:
    modes = figures["modes"]
    names = {"multicast": "`STEPLINE_MULTICAST=true`", "push": "`STEPLINE_MULTICAST=false`"}
    held = "a window opening at T" if figures["release"] == "window" else "a wait until T"
    lines = [
        f"`python -m bench.burst --friends {figures['friends']}`, {figures['run_at']}, "
        f"{figures['machine']}, SQLite: {figures['friends']:,} friends held by {held}, "
        f"STEPLINE_PUSH_RATE={figures['push_rate']:g}, the stand-in at LINE's limits "
        "(2,000 push and 200 multicast requests a second).",
        "",
        "| | " + " | ".join(names[m] for m in modes) + " |",
        "|---" * (len(modes) + 1) + "|",
    ]
    for label, cell in ROWS:
        lines.append(f"| {label} | " + " | ".join(cell(f) for f in modes.values()) + " |")
    return "\n".join(lines)


def write_doc(figures: dict, doc: Path = DOC) -> None:
    between_markers(doc, "burst", table(figures))


def _n(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def _held(f: dict) -> str:
    return f"{_n(f['held_s'], '.0f')} / {_n(f['held_before_t_s'], '.0f')}"


def _lateness(f: dict) -> str:
    return " / ".join(
        _n(f[k], ".1f") for k in ("lateness_p50_s", "lateness_p99_s", "lateness_max_s")
    )


def _requests(f: dict) -> str:
    line = f["line"]
    return f"{line['push']['requests']:,} / {line['multicast']['requests']:,}"


def _refusals(f: dict) -> str:
    line = f["line"]
    conflicts = sum(e["conflicts"] for e in line.values())
    return f"{f['limited']:,} / {conflicts:,}"


def _cpu(f: dict) -> str:
    cpu = f["cpu_percent"]
    return " / ".join(f"{cpu[k]}" for k in ("worker", "server", "api", "line"))


if __name__ == "__main__":
    result = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/results/burst-latest.json")
    write_doc(json.loads(result.read_text()))
    sys.stdout.write(f"{DOC}: burst figures from {result}\n")
