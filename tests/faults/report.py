"""`python -m tests.faults.report` (`make reliability`): run the fault-injection suite and
write docs/RELIABILITY.md with the figures of that run."""

import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from tests.faults import replicas_doc
from tests.faults.outage_matrix import OUTAGE_MATRIX

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "RELIABILITY.md"

MATRIX = [
    (
        "Worker killed with SIGKILL mid-send, 3 times",
        "`python worker.py` is killed while pushes are under way, with a few pushes held open "
        "inside LINE (accepted after the worker is gone), then started again",
        "the send activity's heartbeat times out within 10 s; the retry pushes with the same "
        "`X-Line-Retry-Key`, LINE answers 409 and the push counts as sent",
    ),
    (
        "Temporal dev server stopped and started again, 2 times",
        "SIGTERM to `temporal server start-dev` while friends wait between steps; started "
        "again on the same SQLite file 3 s later",
        "durable timers fire after the restart; webhooks keep being answered (the API records "
        "them with their outbox rows; the dispatcher acts on them once Temporal is back)",
    ),
    (
        "LINE 500",
        "the emulator answers 500 to the next 2 pushes of 12 friends",
        "retried with backoff, same retry key: sent once",
    ),
    (
        "LINE 429 rate limit",
        "the emulator answers 429 (rate limit) to the next 2 pushes of 12 friends",
        "retried with jittered backoff, never treated as the monthly limit",
    ),
    (
        "LINE slower than the client timeout",
        "the emulator takes 3 s (the worker's LINE timeout is 2 s) on 6 pushes, then accepts",
        "the retry gets 409 (or is the one accepted): one message",
    ),
    (
        "LINE accepted, connection dropped",
        "the emulator accepts 10 pushes, then closes the connection without an answer",
        "the retry gets 409 and counts the push as sent",
    ),
    (
        "Webhooks duplicated and redelivered",
        "bodies of 100 follow events posted twice, then again as LINE's redelivery "
        "(`isRedelivery: true`, same `webhookEventId`); a body left unanswered is redelivered",
        "one enrollment per friend and follow: nobody is enrolled twice",
    ),
    (
        "Webhooks out of order",
        "an unfollow older than the follow arriving after it (30 friends); an unfollow "
        "arriving before the older follow it cancels (30 friends)",
        "the stale unfollow changes nothing (full path sent); the stale follow enrols nobody",
    ),
    (
        "Blocks mid-wait",
        "30 friends block the account as soon as their welcome arrives",
        "nothing is pushed to them once the unfollow webhook has been answered",
    ),
]
TESTS = [
    ("tests/faults/", "the chaos run above; asserts every friend's messages, the store and the "
     "injected faults (`test_faults.py`); every kind of change made while Temporal is away, "
     "on SQLite and PostgreSQL (`test_outage.py`, `test_outage_postgres.py`); three workers "
     "and two APIs at once on PostgreSQL (`test_replicas.py`); a worker SIGTERMed mid-push "
     "and an API mid-request finish them and stop cleanly (`test_drain.py`, "
     "`test_api_drain.py`); all run in CI"),
    ("tests/store/test_outbox.py, tests/store/test_outbox_leases.py, "
     "tests/journeys/test_bulk_operations.py", "the outbox: rows "
     "taken in order per lane, leased to one dispatcher at a time (two claiming at once "
     "never share one), a failed row waits and its lane behind it, a seq never used twice; "
     "a bulk step holds its row while it runs, and one whose dispatcher died goes to another "
     "one 20 s lease later; a bulk operation killed halfway goes on from its cursor, and its "
     "second signal changes nothing"),
    ("tests/replay/", "saved histories of real enrollments (waiting, branched, blocked, exited, "
     "wait_for, split, retried) replayed with Temporal's `Replayer`: a workflow change that "
     "would break running enrollments fails the build"),
    ("tests/fuzz/", "hypothesis over scenario definitions and webhook bodies, schemathesis over "
     "the admin API's OpenAPI schema: never a 5xx, never a partial write; bodies over the "
     "limit refused with 413 before they are read"),
    ("tests/security/", "no secret in logs, error answers or Temporal histories; admin token "
     "and webhook signature compared in constant time (the signature over the raw body); "
     "tracked-link tokens and route-link states long, random and not enumerable"),
    ("tests/api/test_explain.py, tests/journeys/test_retry.py", "recovery: `GET "
     "/friends/{user_id}` explains each enrollment (step, last decision and its inputs, next "
     "wake-up, hold reason, deliveries); `POST /enrollments/{id}/retry` sends a failed step "
     "again exactly once"),
    ("tests/api/test_health_and_docs.py, tests/ops/test_worker_probes.py", "the probes: "
     "`/healthz` stays 200 while Temporal is down (no restart for an outage); `/readyz` is 503 "
     "naming Temporal, the database or migrations not at head, and `shutting down` as the API "
     "stops; the worker's `/readyz` turns 200 once it polls and 503 on SIGTERM while a push "
     "under way drains, its `/healthz` 503 when its event loop stops answering"),
]  # fmt: skip


def outage_section(runs: list[dict]) -> list[str]:
    if not runs:
        return ["(no outage run)", ""]
    heads = " | ".join(f"seen ({run['database']})" for run in runs)
    lines = [
        f"Temporal stopped for {', '.join(str(r['outage_seconds']) + ' s' for r in runs)} in "
        "all (two outages a run); while it was away `/readyz` answered "
        f"{', '.join(str(r['health_while_away']) for r in runs)} with "
        f"{', '.join(str(r['pending_while_away']) for r in runs)} changes pending, and once "
        "it was back every change was acted on within "
        f"{', '.join(' / '.join(f'{s} s' for s in r['drained_seconds']) for r in runs)}.",
        "",
        f"| change | made while Temporal was away | what must hold | {heads} |",
        "|---|---|---|" + "---|" * len(runs),
    ]
    for kind, how, holds, seen in OUTAGE_MATRIX:
        cells = " | ".join(seen(run) for run in runs)
        lines.append(f"| {kind} | {how} | {holds} | {cells} |")
    return [*lines, ""]


def run_suite(report: Path) -> int:
    env = dict(
        os.environ,
        STEPLINE_FAULT_REPORT=str(report),
        STEPLINE_OUTAGE_REPORT=str(report.with_name("outage")),
        STEPLINE_REPLICAS_REPORT=str(report.with_name(replicas_doc.REPORT_NAME)),
        STEPLINE_OUTAGE_SECONDS=os.environ.get("STEPLINE_OUTAGE_SECONDS", "60"),
    )
    command = [sys.executable, "-m", "pytest", "tests/faults", "-q", "-p", "no:cacheprovider"]
    return subprocess.run(command, cwd=ROOT, env=env).returncode


def render(figures: dict, passed: bool) -> str:
    faults = figures["faults"]
    answers = figures["webhook_answer_seconds"]
    lines = [
        "# Reliability",
        "",
        "stepline promises that every friend gets every message of their path **exactly once, "
        "in order**, nothing after a block, nothing lost — whatever breaks — and that every "
        "change it accepts is acted on, even when Temporal or a process is down at that "
        "moment. This page is the proof: two fault-injection runs on the real Temporal dev "
        "server, and what the rest of the suite checks. Regenerate it with `make "
        "reliability` (it runs `tests/faults` with Temporal away for a minute and rewrites "
        "this file; CI runs the same tests on every change, with shorter outages).",
        "",
        "## The last run",
        "",
        f"{figures['friends']} friends follow a scenario of four message steps (welcome → "
        "a branch on an attribute: gold or basic offer → two tips in one push → bye) with "
        "5-second waits between them, while every fault below is injected. The API, the "
        "worker and the Temporal dev server (SQLite file, WAL) are separate processes; LINE "
        "is the project's emulator.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| result | {'**passed**' if passed else '**FAILED**'} |",
        f"| run on | {figures['run_at']} · {figures['machine']} |",
        f"| friends | {figures['friends']} "
        f"({', '.join(f'{n} {k}' for k, n in figures['paths'].items())}) |",
        f"| messages expected | {figures['messages_expected']} |",
        f"| messages LINE accepted | {figures['messages_received']} |",
        f"| **duplicates** | **{figures['duplicates']}** |",
        f"| **lost** | **{figures['lost']}** |",
        f"| out of order | {figures['out_of_order']} |",
        f"| pushes after a block | {figures['after_block']} |",
        f"| delivery rows | {_counts(figures['store']['deliveries'])} |",
        f"| enrollments | {_counts(figures['store']['enrollments'])} |",
        f"| webhook answer, median / max | {answers['median']} s / {answers['max']} s |",
        f"| run time | {figures['seconds']} s |",
        "",
        "Faults injected (counted as they happened):",
        "",
        "| fault | count |",
        "|---|---|",
        *(f"| {name} | {count} |" for name, count in faults.items()),
        "",
        "`unconfirmed` delivery rows are pushes whose answer was lost (the worker died) and "
        "whose friend blocked before the retry: they are not pushed again after the block, "
        "and the test checks that LINE did accept each under its retry key.",
        "",
        "## Fault matrix",
        "",
        "| fault | how it is injected | what must hold |",
        "|---|---|---|",
        *(f"| {fault} | {how} | {holds} |" for fault, how, holds in MATRIX),
        "",
        "Then, for every friend: the texts LINE accepted equal the friend's path exactly "
        "(each once, in order); nothing after a block; stale webhooks changed nothing; one "
        "delivery row per accepted push; enrollments `completed` or `blocked`, none stuck.",
        "",
        "## Nothing accepted is dropped: Temporal away while changes arrive",
        "",
        "`tests/faults/test_outage.py` (and `test_outage_postgres.py`): the dev server, the API "
        "and the worker as processes; "
        "Temporal stopped while one change of every kind is made through the API or LINE's "
        "webhooks, then started again; each must be acted on exactly once (and nobody gets "
        "anything twice). The run repeats on PostgreSQL when `STEPLINE_TEST_DATABASE_URL` "
        "names a server (CI sets it).",
        "",
        *outage_section(figures.get("outage", [])),
        *replicas_doc.section(figures.get("replicas")),
        "## What each part of the suite proves",
        "",
        "| tests | prove |",
        "|---|---|",
        *(f"| `{path}` | {what} |" for path, what in TESTS),
        "",
        "## Timeline of the last run",
        "",
        "```",
        *(f"{at:7.1f}s  {what}" for at, what in figures["timeline"]),
        "```",
        "",
    ]
    return "\n".join(lines)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "faults.json"
        code = run_suite(report)
        if not report.exists():
            sys.stderr.write("the fault suite wrote no figures; docs/RELIABILITY.md unchanged\n")
            return code or 1
        figures = json.loads(report.read_text())
        figures["outage"] = [
            json.loads(path.read_text()) for path in sorted(Path(folder).glob("outage.*.json"))
        ]
        replicas = Path(folder) / replicas_doc.REPORT_NAME
        figures["replicas"] = json.loads(replicas.read_text()) if replicas.exists() else None
    figures["run_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    figures["machine"] = f"{os.cpu_count()} cores, {platform.system()} {platform.machine()}"
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(render(figures, passed=code == 0), encoding="utf-8")
    sys.stdout.write(f"wrote {DOC.relative_to(ROOT)} (suite exit {code})\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
