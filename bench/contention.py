"""`python -m bench.contention --rows 300000`: LINE's webhooks while the heaviest admin work
runs, on the API as it runs in production (uvicorn, a SQLite file, the dev server):

1. a CSV import of N friends (`POST /friends/import`), merged a chunk a transaction;
2. meanwhile, the page of the largest scenario allowed (500 steps) fetched again and again;
3. meanwhile, a signed follow webhook every 100 ms and `/readyz` every 500 ms.

Measured: the import's time, the page's, and each webhook's and /readyz's answer while the
import runs (p50, p99, max). The target (issue 17): every webhook answered within 2 s. The
figures go to bench/results/contention-latest.json and (`--write`) docs/PERFORMANCE.md."""

import asyncio
import base64
import hashlib
import hmac
import json
import os
import statistics
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import httpx
import typer

from bench import processes
from bench.bulk import between_markers
from bench.channel import ADMIN, SECRET, TOKEN
from bench.plan import user_ids
from bench.processes import wait_for_port
from core.serve import free_port
from scenarios.limits import MAX_STEPS

RESULT = Path("bench/results/contention-latest.json")
DOC = Path(__file__).resolve().parent.parent / "docs" / "PERFORMANCE.md"
app = typer.Typer(add_completion=False, help=__doc__)


def largest_scenario() -> dict:
    steps = [
        {"id": f"m{n}", "type": "message", "messages": [{"type": "text", "text": f"step {n}"}]}
        if n % 2
        else {"id": f"w{n}", "type": "wait", "duration": "P1D"}
        for n in range(MAX_STEPS)
    ]
    return {"name": "bench: largest", "trigger": {"type": "event", "event": "x"}, "steps": steps}


def signed_follow(user_id: str, n: int) -> tuple[bytes, dict[str, str]]:
    event = {
        "type": "follow",
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": f"01CONTENTION{n:014d}",
        "deliveryContext": {"isRedelivery": False},
        "replyToken": "r",
        "follow": {"isUnblocked": False},
    }
    body = json.dumps({"destination": "U" + "f" * 32, "events": [event]}).encode()
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest())
    return body, {"Content-Type": "application/json", "X-Line-Signature": signature.decode()}


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    if not ordered:
        return {"count": 0}
    return {
        "count": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1),
        "max_ms": round(ordered[-1], 1),
    }


async def _timed(call) -> float:
    started = time.monotonic()
    answer = await call
    assert answer.status_code == 200, answer.text[:300]
    return (time.monotonic() - started) * 1000


async def run(rows: int, folder: Path) -> dict:
    async with AsyncExitStack() as exits:
        address, line_port = await processes.temporal_and_line(exits, folder)
        api_port = free_port()
        env = {
            "STEPLINE_DATABASE_URL": f"sqlite:///{folder}/stepline.db",
            "STEPLINE_TEMPORAL_ADDRESS": address,
            "STEPLINE_ADMIN_TOKEN": ADMIN,
            "LINE_API_BASE_URL": f"http://127.0.0.1:{line_port}",
            "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
            "LINE_CHANNEL_SECRET": SECRET,
            "PYTHONUNBUFFERED": "1",
        }
        api_process = processes.api(folder, env, api_port)
        api_process.start()
        exits.callback(api_process.stop)
        await asyncio.to_thread(wait_for_port, f"127.0.0.1:{api_port}", api_process)
        base = f"http://127.0.0.1:{api_port}"
        admin = await exits.enter_async_context(
            httpx.AsyncClient(
                base_url=base, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=600
            )
        )
        line = await exits.enter_async_context(httpx.AsyncClient(base_url=base, timeout=60))
        created = await admin.post("/scenarios", json=largest_scenario())
        assert created.status_code == 201, created.text[:300]
        page = f"/dashboard/scenarios/{created.json()['id']}"
        csv = "user_id,plan,age\n" + "".join(
            f"{u},gold,{n % 90}\n" for n, u in enumerate(user_ids(rows, "c"))
        )
        figures: dict = {"rows": rows, "steps": MAX_STEPS}
        figures["page_alone_ms"] = round(await _timed(admin.get(page)), 1)

        webhooks: list[float] = []
        health: list[float] = []
        pages: list[float] = []
        importing = asyncio.Event()

        async def keep_sending() -> None:
            for n, user in enumerate(user_ids(100_000, "d")):
                if not importing.is_set():
                    return
                body, headers = signed_follow(user, n)
                webhooks.append(
                    await _timed(line.post("/webhooks/line", content=body, headers=headers))
                )
                await asyncio.sleep(0.1)

        async def keep_asking(
            path: str, samples: list[float], client: httpx.AsyncClient, pause: float
        ) -> None:
            while importing.is_set():
                samples.append(await _timed(client.get(path)))
                await asyncio.sleep(pause)

        importing.set()
        tasks = [
            asyncio.create_task(keep_sending()),
            asyncio.create_task(keep_asking("/readyz", health, line, 0.5)),
            asyncio.create_task(keep_asking(page, pages, admin, 0.5)),
        ]
        started = time.monotonic()
        answer = await admin.post(
            "/friends/import", content=csv.encode(), headers={"Content-Type": "text/csv"}
        )
        figures["import_s"] = round(time.monotonic() - started, 1)
        importing.clear()
        await asyncio.gather(*tasks)
        assert answer.status_code == 200, answer.text[:300]
        assert answer.json()["imported"] == rows, answer.text[:300]
        figures["webhook"] = summary(webhooks)
        figures["readyz"] = summary(health)
        figures["page"] = summary(pages)
        return figures


def table(figures: dict) -> str:
    hook, health, page = figures["webhook"], figures["readyz"], figures["page"]
    return "\n".join(
        [
            f"`python -m bench.contention --rows {figures['rows']}`, {figures['run_at']}, "
            f"{figures['machine']}, SQLite: the import took {figures['import_s']:,.1f} s; "
            f"the {figures['steps']}-step scenario's page alone {figures['page_alone_ms']:,.0f} ms.",
            "",
            "| while the import ran | answers | p50 | p99 | max |",
            "|---|---|---|---|---|",
            *(
                f"| {name} | {s['count']:,} | {s['p50_ms']:,.0f} ms | {s['p99_ms']:,.0f} ms "
                f"| {s['max_ms']:,.0f} ms |"
                for name, s in (
                    ("signed follow webhook, every 100 ms", hook),
                    ("`/readyz`, every 500 ms", health),
                    (f"the {figures['steps']}-step scenario's page, every 500 ms", page),
                )
                if s.get("count")
            ),
        ]
    )


@app.command()
def main(
    rows: Annotated[int, typer.Option(help="friends in the CSV import")] = 300_000,
    write: Annotated[bool, typer.Option(help="put the figures into docs/PERFORMANCE.md")] = False,
    result: Annotated[Path, typer.Option(help="where the JSON goes")] = RESULT,
) -> None:
    """Run it, print the figures, keep them in bench/results/contention-latest.json."""
    with tempfile.TemporaryDirectory(prefix="stepline-contention-") as folder:
        figures = asyncio.run(run(rows, Path(folder)))
    figures["run_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    figures["machine"] = f"{os.cpu_count()} cores"
    result.parent.mkdir(parents=True, exist_ok=True)
    result.write_text(json.dumps(figures, indent=2) + "\n")
    if write:
        between_markers(DOC, "contention", table(figures))
    typer.echo(json.dumps(figures, indent=2))
    sys.stdout.flush()
    os._exit(0)  # sdk-python#300: no crash at interpreter shutdown


if __name__ == "__main__":
    app()
