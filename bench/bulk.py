"""`python -m bench.bulk --enrollments 100000`: bulk operations at scale, on the real dev server
(SQLite file, WAL), the API and the worker as processes, the LINE stand-in.

1. An audience upload of N friends that triggers a scenario (`PUT /audiences/{id}/members`):
   the answer's time, then the time until every friend's enrollment waits in the scenario.
2. Pause: the answer's time, the time until every enrollment has been told (the operation
   done: the signal is in each workflow's history), and until a sample of 200 enrollments has
   no workflow task left to run (their workflows have taken it in).
3. Resume, the same.

The figures go to bench/results/bulk-latest.json and (`--write`) docs/PERFORMANCE.md."""

import asyncio
import os
import random
import tempfile
import time
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import httpx
import typer
from sqlalchemy import insert, text
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from bench import entry, processes
from bench.channel import ADMIN, SECRET, TOKEN
from bench.plan import user_ids
from bench.processes import wait_for_port
from core.serve import free_port
from store.db import Database
from store.tables import Friend

RESULT = Path("bench/results/bulk-latest.json")
DOC = Path(__file__).resolve().parent.parent / "docs" / "PERFORMANCE.md"
SCENARIO = {
    "name": "bench: bulk",
    "trigger": {"type": "audience", "audience": "?"},
    "steps": [
        {"id": "long", "type": "wait", "duration": "P30D"},
        {"id": "later", "type": "message", "messages": [{"type": "text", "text": "later"}]},
    ],
}
app = typer.Typer(add_completion=False, help=__doc__)


async def _friends(database_url: str, users: list[str]) -> None:
    """The friends, following (the webhooks they came by are measured by `make bench`)."""
    db = Database(database_url)
    await db.migrate()
    async with db.session() as session:
        for start in range(0, len(users), 5000):
            rows = [
                {"user_id": u, "following": True, "epoch": 1, "route": "unknown", "attributes": {}}
                for u in users[start : start + 5000]
            ]
            await session.exec(insert(Friend.__table__), params=rows)
        await session.commit()
    await db.close()


async def _count(database_url: str, sql: str) -> int:
    db = Database(database_url)
    try:
        async with db.reading() as session:
            return (await session.exec(text(sql))).one()[0]
    finally:
        await db.close()


async def _until(check, timeout: float, what: str) -> float:
    """Seconds until `check()` is true."""
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"not within {timeout:.0f} s: {what}")
        await asyncio.sleep(0.5)
    return round(time.monotonic() - started, 1)


async def _taken(client: Client, sample: list[str]) -> bool:
    """Whether none of these enrollments has a workflow task still to run (the signal taken
    in by its workflow on the worker)."""
    for workflow_id in sample:
        described = await client.get_workflow_handle(workflow_id).describe()
        if described.raw_description.HasField("pending_workflow_task"):
            return False
    return True


async def _operation(
    api: httpx.AsyncClient, path: str, client: Client, sample: list[str], **params
) -> dict:
    started = time.monotonic()
    answer = await api.request("PUT" if "members" in path else "POST", path, **params)
    answered_ms = round((time.monotonic() - started) * 1000, 1)
    assert answer.status_code == 202, answer.text
    operation = answer.json()["operation"]

    async def done() -> bool:
        state = (await api.get(operation["url"])).json()
        return state["status"] == "done"

    told = await _until(done, 3600, f"{path} done")
    settled = await _until(lambda: _taken(client, sample), 3600, "the workflow tasks taken")
    return {"answer_ms": answered_ms, "done_s": told, "workflows_s": round(told + settled, 1)}


async def run(count: int, folder: Path) -> dict:
    async with AsyncExitStack() as exits:
        address, line_port = await processes.temporal_and_line(exits, folder)
        api_port = free_port()
        database_url = f"sqlite:///{folder}/stepline.db"
        users = user_ids(count, "b")
        await _friends(database_url, users)
        env = {
            "STEPLINE_DATABASE_URL": database_url,
            "STEPLINE_TEMPORAL_ADDRESS": address,
            "STEPLINE_TASK_QUEUE": "bench",
            "STEPLINE_ADMIN_TOKEN": ADMIN,
            "LINE_API_BASE_URL": f"http://127.0.0.1:{line_port}",
            "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
            "LINE_CHANNEL_SECRET": SECRET,
            "PYTHONUNBUFFERED": "1",
        }
        for process in (processes.api(folder, env, api_port), processes.worker(folder, env)):
            process.start()
            exits.callback(process.stop)
        await asyncio.to_thread(wait_for_port, f"127.0.0.1:{api_port}", process)
        client = await Client.connect(address, data_converter=pydantic_data_converter)
        api = await exits.enter_async_context(
            httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{api_port}",
                headers={"Authorization": f"Bearer {ADMIN}"},
                timeout=600,
            )
        )
        audience = (await api.post("/audiences", json={"name": "bulk", "kind": "upload"})).json()
        definition = {**SCENARIO, "trigger": {"type": "audience", "audience": audience["id"]}}
        scenario_id = (await api.post("/scenarios", json=definition)).json()["id"]
        await api.post(f"/scenarios/{scenario_id}/activate")
        figures: dict = {"enrollments": count}
        members = f"/audiences/{audience['id']}/members"
        started = time.monotonic()
        answer = await api.put(members, json={"user_ids": users})
        assert answer.status_code == 202, answer.text
        figures["upload"] = {"answer_ms": round((time.monotonic() - started) * 1000, 1)}

        async def enrolled() -> bool:
            rows = await _count(database_url, "SELECT count(*) FROM enrollment")
            return rows == count and await _count(database_url, "SELECT count(*) FROM outbox") == 0

        figures["upload"]["enrolled_s"] = await _until(enrolled, 7200, "every friend enrolled")
        sample = [
            f"enrollment:{scenario_id}:{user}:1" for user in random.sample(users, min(200, count))
        ]
        figures["upload"]["workflows_s"] = round(
            figures["upload"]["enrolled_s"]
            + await _until(lambda: _taken(client, sample), 7200, "every enrollment waiting"),
            1,
        )
        waiting = await _count(
            database_url, "SELECT count(*) FROM enrollment WHERE status='waiting'"
        )  # noqa: E501
        assert waiting == count, waiting
        path = f"/scenarios/{scenario_id}"
        figures["pause"] = await _operation(api, f"{path}/pause", client, sample)
        spread = {"params": {"spread": "PT1S"}}
        figures["resume"] = await _operation(api, f"{path}/resume", client, sample, **spread)
        return figures


def table(figures: dict) -> str:
    """The figures as docs/PERFORMANCE.md shows them."""
    n = f"{figures['enrollments']:,}"
    upload, pause, resume = figures["upload"], figures["pause"], figures["resume"]
    return "\n".join(
        [
            f"`python -m bench.bulk --enrollments {figures['enrollments']}`, "
            f"{figures['run_at']}, {figures['machine']}, SQLite:",
            "",
            "| operation | answer | operation done | workflows took it in |",
            "|---|---|---|---|",
            f"| upload of {n} friends that triggers a scenario | {upload['answer_ms']:,.0f} ms "
            f"| {upload['enrolled_s']:,.0f} s (all enrolled) | {upload['workflows_s']:,.0f} s |",
            f"| pause of {n} waiting enrollments | {pause['answer_ms']:,.0f} ms "
            f"| {pause['done_s']:,.0f} s | {pause['workflows_s']:,.0f} s |",
            f"| resume of {n} held enrollments | {resume['answer_ms']:,.0f} ms "
            f"| {resume['done_s']:,.0f} s | {resume['workflows_s']:,.0f} s |",
        ]
    )


def write_doc(figures: dict, doc: Path = DOC) -> None:
    between_markers(doc, "bulk", table(figures))


def between_markers(doc: Path, name: str, content: str) -> None:
    """`content` in place of what stands between `<!-- name figures -->` and its end."""
    text = doc.read_text(encoding="utf-8")
    start, end = f"<!-- {name} figures -->\n", f"<!-- /{name} figures -->"
    before, _, rest = text.partition(start)
    _, _, after = rest.partition(end)
    doc.write_text(f"{before}{start}{content}\n{end}{after}", encoding="utf-8")


@app.command()
def main(
    enrollments: Annotated[
        int, typer.Option(help="friends uploaded, then paused and resumed")
    ] = 100_000,
    write: Annotated[bool, typer.Option(help="put the figures into docs/PERFORMANCE.md")] = False,
    result: Annotated[Path, typer.Option(help="where the JSON goes")] = RESULT,
) -> None:
    """Run it, print the figures, keep them in bench/results/bulk-latest.json."""
    with tempfile.TemporaryDirectory(prefix="stepline-bulk-") as folder:
        started = time.monotonic()
        figures = asyncio.run(run(enrollments, Path(folder)))
        figures["seconds"] = round(time.monotonic() - started, 1)
    figures["run_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    figures["machine"] = f"{os.cpu_count()} cores"
    entry.publish(figures, result, write_doc if write else None)


if __name__ == "__main__":
    app()
