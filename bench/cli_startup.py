"""`python -m bench.cli_startup`: how long a `stepline` command takes to answer, start to exit.

Each command runs as the installed entry point (`.venv/bin/stepline`), a fresh process each
time, `--runs` times after one warm-up (so that the bytecode cache is written): `--help`, and
short commands against a stand-in API and emulator started here (a thread answering canned
JSON at once: what is measured is the command — start-up, one request, the output — not a
server). The figures are the median and the fastest of the wall times, and the median CPU
(user + system) of the process, which another load on the machine disturbs less.

`--program "python /path/to/stepline"` times another build of the command (the figures before
a change, say); `--write` puts the table into docs/PERFORMANCE.md between
`<!-- cli figures -->` markers. JSON in bench/results/cli-startup-latest.json."""

import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Annotated, Any

import typer

RESULT = Path("bench/results/cli-startup-latest.json")
DOC = Path(__file__).resolve().parent.parent / "docs" / "PERFORMANCE.md"
USER = "U" + "0123456789abcdef" * 2
COMMANDS = [  # (arguments, text its output must hold: the command did its work)
    (["--help"], "stepline: step delivery"),
    (["scenario", "--help"], "Create, update and list scenarios."),
    (["scenario", "list"], "bench: welcome"),
    (["scenario", "templates"], "follow-up"),
    (["stats", "scn_bench"], "Scenario scn_bench"),
    (["friend", "show", USER], "Friend " + USER),
    (["emulator", "messages"], "Welcome!"),
]
ANSWERS: dict[str, Any] = {  # path → JSON: the stand-in's whole API
    "/scenarios": [
        {"id": "scn_bench", "version": 2, "status": "active", "sent_count": 41,
         "name": "bench: welcome"},
    ],
    "/templates": [
        {"name": "follow-up", "title": "Follow-up", "description": "Welcome, then a nudge."},
    ],
    "/scenarios/scn_bench/stats": {
        "enrolled": 50, "completed": 41, "active": 9, "blocked": 0, "exited": 0, "ended": 0,
        "failed": 0, "messages_sent": 41, "converted": 3, "conversion_rate": 0.06,
        "steps": [{"id": "hi", "type": "message", "entered": 50, "sent": 41, "failed": 0,
                   "clicks": 0}],
    },
    f"/friends/{USER}": {
        "user_id": USER, "display_name": "Bench", "following": True,
        "followed_at": "2026-12-06T09:00:00+00:00", "blocked_at": None, "epoch": 1,
        "route": "unknown", "language": "ja", "tags": ["bench"], "attributes": {"plan": "free"},
        "enrollments": [],
    },
    f"/friends/{USER}/timeline": {"entries": [], "truncated": False},
    "/emulator/messages": [
        {"to": USER, "received_at": "2026-12-06T09:00:01+00:00", "delivered": True,
         "reason": None, "messages": [{"type": "text", "text": "Welcome!"}]},
    ],
}  # fmt: skip


class _Answer(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        body = ANSWERS.get(self.path.split("?")[0])
        data = json.dumps(body if body is not None else {"detail": "not found"}).encode()
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def standin():
    """The API and the emulator in one: its base URL while the block runs."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def default_program() -> list[str]:
    installed = Path(sys.executable).parent / "stepline"
    if installed.exists():
        return [str(installed)]
    return [sys.executable, "-c", "from cli.main import main; main()"]


def once(
    program: list[str], args: list[str], env: dict[str, str], expect: str
) -> tuple[float, float]:
    """One run: its wall time and its CPU time (user + system), in seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([*program, *args], env=env, capture_output=True, text=True, timeout=120)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0 or expect not in done.stdout:
        raise RuntimeError(
            f"stepline {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}"
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(program: list[str], runs: int) -> dict[str, Any]:
    with standin() as url:
        env = {**os.environ, "STEPLINE_PUBLIC_URL": url, "LINE_API_BASE_URL": url}
        env["STEPLINE_ADMIN_TOKEN"] = "bench"
        env["COLUMNS"] = "200"  # the tables' width: the same in a terminal and out of one
        figures = {}
        for args, expect in COMMANDS:
            once(program, args, env, expect)  # warm-up: bytecode written, files in the cache
            times = [once(program, args, env, expect) for _ in range(runs)]
            walls = [wall for wall, _ in times]
            figures["stepline " + " ".join(args)] = {
                "median_s": round(statistics.median(walls), 3),
                "min_s": round(min(walls), 3),
                "cpu_median_s": round(statistics.median(cpu for _, cpu in times), 3),
            }
    return {
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cores": os.cpu_count(), "load_1min": round(os.getloadavg()[0], 2)},
        "program": program,
        "runs": runs,
        "commands": figures,
    }


def table(result: dict[str, Any]) -> str:
    at = result["at"].replace("T", " ")[:16]
    lines = [
        f"`python -m bench.cli_startup --runs {result['runs']}`, {at} UTC, "
        f"{result['machine']['cores']} cores (load {result['machine']['load_1min']:g}): "
        f"each command a fresh process, {result['runs']} runs after a warm-up.",
        "",
        "| command | median | fastest | CPU (median) |",
        "|---|---|---|---|",
    ]
    for command, f in result["commands"].items():
        short = command.replace(USER, "U…")
        lines.append(
            f"| `{short}` | {f['median_s']:.2f} s | {f['min_s']:.2f} s | {f['cpu_median_s']:.2f} s |"
        )
    return "\n".join(lines)


app = typer.Typer(add_completion=False, help=__doc__)


@app.command()
def main(
    runs: Annotated[int, typer.Option(min=1, help="timed runs of each command")] = 7,
    program: Annotated[
        str | None, typer.Option(help="the command to time (default: this venv's stepline)")
    ] = None,
    write: Annotated[bool, typer.Option(help="put the figures into docs/PERFORMANCE.md")] = False,
    out: Annotated[Path, typer.Option(help="where the JSON goes")] = RESULT,
) -> None:
    """Time `stepline --help` and short commands; print the table, keep the JSON."""
    result = measure(shlex.split(program) if program else default_program(), runs)
    text = table(result)
    sys.stdout.write(text + "\n")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    if write:
        from bench.bulk import between_markers  # the store and Temporal: only for --write

        between_markers(DOC, "cli", text)


if __name__ == "__main__":
    app()
