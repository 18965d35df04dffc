"""`python -m bench.wakes`: what a wake-up costs in stepline's own code, without Temporal.

N enrollments wake at once (WAKE_CONCURRENCY at a time, as the worker runs local
activities) and each does what the bench scenario does after T, calling the worker's
activities directly: the branch decision, the push (through the LINE stand-in) and the
progress report. It prints wake-ups per second and this process's CPU per wake-up: the
store's and the push's share of a wake-up, measured in seconds rather than in a bench run
(docs/PERFORMANCE.md, step 10)."""

import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import httpx
import typer

from activities.progress import StoreActivities
from activities.sending import SendActivities
from bench.definitions import scenario
from bench.processes import Process, wait_for_port
from core.config import Settings
from core.serve import free_port
from domain.steps import BranchStep
from line.client import LinePusher
from scenarios.definition import ScenarioDefinition
from scenarios.runs import BranchRequest, EnrollmentStatus, ProgressUpdate, SendRequest
from store import scenarios
from store.db import Database
from store.definitions import Definitions
from store.enrollments import ensure_enrollment
from store.tables import Friend

WAKE_CONCURRENCY = 20
app = typer.Typer(add_completion=False, help=__doc__)


async def wake_all(folder: Path, count: int, line_url: str) -> dict:
    db = Database(f"sqlite:///{folder}/wakes.db")
    await db.migrate()
    definition = ScenarioDefinition.model_validate(scenario(datetime.now(UTC)))
    async with db.session() as session:
        row = await scenarios.create_scenario(session, definition=definition)
        row.status = "active"
        session.add(row)
        await session.commit()
        scenario_id = row.id
    users = [f"U{n:032x}" for n in range(count)]
    now = datetime.now(UTC)
    async with db.session() as session:
        session.add_all(Friend(user_id=user, following=True, epoch=1) for user in users)
        ids = [
            await ensure_enrollment(
                session, scenario_id=scenario_id, version=1, user_id=user, epoch=1, at=now
            )
            for user in users
        ]
        await session.commit()
    settings = Settings(line_channel_access_token="bench", line_api_base_url=line_url)
    line = LinePusher.from_settings(settings)
    definitions = Definitions(db)
    store = StoreActivities(db)
    sending = SendActivities(db, line, definitions, public_url="http://127.0.0.1")
    branch = (await definitions.get(scenario_id, 1)).steps[1]
    assert isinstance(branch, BranchStep)

    async def wake(user_id: str, enrollment_id: str) -> str:
        ids = {"enrollment_id": enrollment_id, "scenario_id": scenario_id, "user_id": user_id}
        choice = await store.evaluate_branch(
            BranchRequest(
                **ids,
                step_id=branch.id,
                labels=[arm.label for arm in branch.branches],
                conditions=[arm.when for arm in branch.branches],
                at=datetime.now(UTC),
            )
        )
        step = branch.otherwise[0] if choice.index is None else branch.branches[0].steps[0]
        outcome = await sending.send(
            SendRequest(**ids, version=1, epoch=1, step_id=step.id, planned_at=datetime.now(UTC))
        )
        status = EnrollmentStatus(**ids, version=1, status="completed", step=step.id)
        await store.record_progress(ProgressUpdate(status=status, at=datetime.now(UTC)))
        return outcome.result

    limit = asyncio.Semaphore(WAKE_CONCURRENCY)

    async def one(user_id: str, enrollment_id: str) -> str:
        async with limit:
            return await wake(user_id, enrollment_id)

    cpu, began = time.process_time(), time.monotonic()
    outcomes = await asyncio.gather(*(one(u, e) for u, e in zip(users, ids, strict=True)))
    wall, cpu = time.monotonic() - began, time.process_time() - cpu
    await line.close()
    await db.close()
    return {
        "wakes": count,
        "sent": outcomes.count("sent"),
        "wakes_per_s": round(count / wall, 1),
        "cpu_ms_per_wake": round(cpu * 1000 / count, 2),
    }


@app.command()
def run(
    wakes: Annotated[int, typer.Option(help="enrollments waking at once")] = 2000,
) -> None:
    """Wake `wakes` enrollments against a LINE stand-in; print wake-ups/s and CPU per wake-up."""
    folder = Path(tempfile.mkdtemp(prefix="stepline-wakes-"))
    port = free_port()
    standin = Process(
        "line",
        [sys.executable, "-m", "bench.standin", "--port", str(port)],
        dict(os.environ),
        folder / "line.log",
    )
    standin.start()
    try:
        wait_for_port(f"127.0.0.1:{port}", standin)
        figures = asyncio.run(wake_all(folder, wakes, f"http://127.0.0.1:{port}"))
        pushes = httpx.get(f"http://127.0.0.1:{port}/bench/count").json()["count"]
    finally:
        standin.stop()
    figures["pushes"] = pushes
    sys.stdout.write(" ".join(f"{key}={value}" for key, value in figures.items()) + "\n")


if __name__ == "__main__":
    app()
