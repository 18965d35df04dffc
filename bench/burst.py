"""`python -m bench.burst --friends 10000`: the burst at a window's opening. N friends (written
straight into the store, following) are enrolled by an audience upload into a scenario whose
only step is a message with a window that opens at T (a whole minute, UTC, after `--lead`
seconds): every enrollment is held until T and released together, as everyone whose coupon fell
due overnight is at 10:00. Each mode runs on a fresh dev server (SQLite, WAL), API, worker and
LINE stand-in (bench/standin.py, which enforces LINE's 2,000 push and 200 multicast requests a
second): `multicast` (STEPLINE_MULTICAST=true) and `push` (false), the same message to all.

Measured from T: seconds until the last message arrived at the stand-in, messages delivered a
second, lateness p50/p99/max, LINE requests per delivered message, 429s and 409s, duplicates
(must be 0), and each process's CPU during the release (a share of one core). `--release wait`
holds them with a `wait until T` (to the second) instead of the window: quick runs (CI).
The figures go to bench/results/burst-latest.json and (`--write`) docs/PERFORMANCE.md."""

import asyncio
import math
import os
import tempfile
import time
from collections import Counter
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from bench import entry
from bench.bulk import _count, _friends
from bench.burst_probe import Probe
from bench.burst_report import MODES, write_doc
from bench.measure import lateness_figures
from bench.phase import Phase
from bench.phases import serve_stepline, stepline_env
from bench.plan import Plan, user_ids
from core.serve import free_port

RESULT = Path("bench/results/burst-latest.json")
TASK_QUEUE = "bench"  # stepline_env's STEPLINE_TASK_QUEUE
TEXT = "Your coupon is ready: 10% off today only."  # nothing of the friend's own: batchable
app = typer.Typer(add_completion=False, help=__doc__)


def release_moment(lead: float, release: str, now: float | None = None) -> datetime:
    """T: `lead` seconds from now; for a window, the next whole minute after that (a window
    opens on a clock's minute)."""
    at = datetime.fromtimestamp((now or time.time()) + lead, UTC)
    if release == "wait":
        return at.replace(microsecond=0) + timedelta(seconds=1)
    return at.replace(second=0, microsecond=0) + timedelta(minutes=1)


def definition(audience: str, release: str, at: datetime) -> dict:
    """One message held until T: by its window (closed for the 12 hours before T), or by a
    `wait until T` before it."""
    message: dict = {
        "id": "coupon",
        "type": "message",
        "messages": [{"type": "text", "text": TEXT}],
    }
    if release == "window":
        closes = at + timedelta(hours=12)
        message["window"] = {"start": f"{at:%H:%M}", "end": f"{closes:%H:%M}"}
        steps = [message]
    else:
        steps = [{"id": "until-t", "type": "wait", "until": at.isoformat()}, message]
    return {
        "name": f"bench: burst ({release})",
        "timezone": "UTC",
        "trigger": {"type": "audience", "audience": audience},
        "steps": steps,
    }


async def run_mode(
    mode: str, friends: int, folder: Path, *, push_rate: float, release: str, lead: float
) -> dict:
    """One mode on fresh processes: enrol, hold until T, release, measure."""
    async with AsyncExitStack() as exits:
        phase = Phase(mode, folder, Plan(friends=friends, rate=1.0), exits)
        await phase.start_common()
        database_url = f"sqlite:///{phase.folder}/stepline.db"
        users = user_ids(friends, "c")
        await _friends(database_url, users)
        api_port = free_port()
        env = stepline_env(phase, api_port, database_url) | {
            "STEPLINE_MULTICAST": MODES[mode],
            "STEPLINE_PUSH_RATE": f"{push_rate:g}",
        }
        api = await serve_stepline(phase, exits, env, api_port, timeout=600)
        answer = await api.post("/audiences", json={"name": "burst", "kind": "upload"})
        audience = answer.json()["id"]
        at = release_moment(lead, release)
        created = await api.post("/scenarios", json=definition(audience, release, at))
        assert created.status_code == 201, created.text
        scenario_id = created.json()["id"]
        assert (await api.post(f"/scenarios/{scenario_id}/activate")).status_code == 200
        wake_at = at.timestamp()
        uploaded = time.monotonic()
        answer = await api.put(f"/audiences/{audience}/members", json={"user_ids": users})
        assert answer.status_code == 202, answer.text
        held_sql = "SELECT count(*) FROM enrollment WHERE next_wake_at IS NOT NULL"

        async def all_held_or_t() -> bool:
            return time.time() >= wake_at or await _count(database_url, held_sql) >= friends

        await phase.until(all_held_or_t, "every enrollment held", timeout=lead + 120)
        held = await _count(database_url, held_sql)
        figures: dict = {
            "held_s": round(time.monotonic() - uploaded, 1),
            "held_before_t": held,
            "held_before_t_s": round(wake_at - time.time(), 1),
        }
        figures |= await _release(phase, wake_at, users)
        return figures


async def _release(phase: Phase, wake_at: float, users: list[str]) -> dict:
    """From T until every friend's message arrived: the arrivals, the requests, the CPU."""
    assert phase.worker is not None and phase.api is not None
    pids = {
        "worker": phase.worker.child.pid,
        "server": phase.server.child.pid,
        "api": phase.api.child.pid,
        "line": phase.standin.child.pid,
    }
    probe = Probe(pids, phase.client, TASK_QUEUE)
    await asyncio.sleep(max(0.0, wake_at - time.time()))
    probe.sample()

    async def arrived() -> bool:
        probe.sample()
        await probe.sample_backlog()
        return await phase.delivered() >= len(users)

    await phase.until(arrived, f"{len(users)} messages", timeout=len(users) / 5 + 300)
    await asyncio.sleep(1.0)  # a late duplicate would show up now
    pushes = (await phase.line.get("/bench/pushes")).json()["pushes"]
    stats = (await phase.line.get("/bench/stats")).json()["endpoints"]
    waking = set(users)
    arrivals = [at for user, _key, at, *_ in pushes if user in waking]
    per_friend = Counter(user for user, *_ in pushes if user in waking)
    last = max(arrivals)
    requests = sum(e["requests"] for e in stats.values())
    return (
        lateness_figures(arrivals, wake_at)
        | {
            "last_arrival_s": round(last - wake_at, 2),
            "friends_reached": len(per_friend),
            "duplicates": sum(n - 1 for n in per_friend.values()),
            "line": stats,
            "requests_per_message": round(requests / max(len(arrivals), 1), 4),
            "limited": sum(e["limited"] for e in stats.values()),
        }
        | probe.figures(until=last)
    )


def run(
    friends: int, modes: list[str], *, push_rate: float, release: str, lead: float, folder: Path
) -> dict:
    figures: dict = {
        "friends": friends,
        "release": release,
        "push_rate": push_rate,
        "lead_s": lead,
        "modes": {},
    }
    for mode in modes:
        started = time.monotonic()
        measured = asyncio.run(
            run_mode(mode, friends, folder, push_rate=push_rate, release=release, lead=lead)
        )
        figures["modes"][mode] = measured | {"seconds": round(time.monotonic() - started, 1)}
    figures["run_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    figures["machine"] = f"{os.cpu_count()} cores"
    return figures


@app.command()
def main(
    friends: Annotated[int, typer.Option(help="friends released together at T")] = 10_000,
    mode: Annotated[str, typer.Option(help="both | multicast | push")] = "both",
    push_rate: Annotated[float, typer.Option(help="STEPLINE_PUSH_RATE")] = 2000.0,
    release: Annotated[str, typer.Option(help="window | wait: what holds them until T")] = "window",
    lead: Annotated[
        float | None, typer.Option(help="seconds from the upload to T (30 + friends/30)")
    ] = None,
    write: Annotated[bool, typer.Option(help="put the figures into docs/PERFORMANCE.md")] = False,
    result: Annotated[Path, typer.Option(help="where the JSON goes")] = RESULT,
    keep: Annotated[Path | None, typer.Option(help="keep logs and databases here")] = None,
) -> None:
    """Run each mode, print the figures, keep them in bench/results/burst-latest.json."""
    if mode not in ("both", *MODES):
        raise typer.BadParameter("must be both, multicast or push", param_hint="--mode")
    if release not in ("window", "wait"):
        raise typer.BadParameter("must be window or wait", param_hint="--release")
    modes = list(MODES) if mode == "both" else [mode]
    lead = lead if lead is not None else 30 + math.ceil(friends / 30)
    with tempfile.TemporaryDirectory(prefix="stepline-burst-") as scratch:
        folder = keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        figures = run(
            friends, modes, push_rate=push_rate, release=release, lead=lead, folder=folder
        )
    entry.publish(figures, result, write_doc if write else None)


if __name__ == "__main__":
    entry.main(app, "burst")
