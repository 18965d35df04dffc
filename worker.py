"""The Temporal worker: `python worker.py` (docs/CONTRACT.md §2)."""

import asyncio
import compileall
import logging
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import PollerBehaviorSimpleMaximum, UnsandboxedWorkflowRunner, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from activities.dates import DateActivities
from activities.journeys import JourneyActivities
from activities.progress import StoreActivities
from activities.richmenu import RichMenuActivities
from activities.sending import SendActivities
from activities.survey import SurveyActivities
from core import logs, metrics
from core.config import Settings, load_settings
from line.client import LinePusher
from store.db import Database
from store.definitions import Definitions
from triggers.dispatch import Dispatcher
from triggers.friendship import PROFILE_TIMEOUT
from triggers.pipeline import build_pipeline
from workflows.date_trigger import DateTriggerWorkflow
from workflows.enrollment import EnrollmentWorkflow

WORKFLOW_POLLS = 20


def compile_workflows() -> None:
    """Byte-compile the workflow package once. The sandbox executes the workflow's module
    afresh for every workflow it loads; without a .pyc (PYTHONDONTWRITEBYTECODE, a fresh
    checkout) that is a compile of the source each time, most of a new workflow's cost."""
    folder = Path(__file__).resolve().parent / "workflows"
    try:
        compileall.compile_dir(folder, quiet=2, workers=1)
    except OSError:  # a read-only install: it loads from source, only slower
        pass


def create_worker(
    client: Client,
    *,
    task_queue: str,
    db: Database,
    line: LinePusher,
    public_url: str = "http://localhost:8000",
    push_rate: float = 2000.0,
    local_push_rate: float | None = None,
    workflow_cache: int = 2500,
    sandboxed: bool = True,
) -> Worker:
    compile_workflows()
    definitions = Definitions(db)
    # what the activities record (a switch, a date's enrollment, a tag) is acted on at once
    # on this worker's client; a dispatcher's rounds run where STEPLINE_WEBHOOK_PROCESSOR says
    pipeline = build_pipeline(
        db=db, temporal=client, task_queue=task_queue, definitions=definitions, eager=True
    )
    enroller = pipeline.enroller
    sending = SendActivities(
        db,
        line,
        definitions,
        public_url=public_url,
        push_rate=local_push_rate or push_rate,
        expedite=pipeline.dispatcher.expedite,
    )
    store = StoreActivities(db)
    journeys = JourneyActivities(db, enroller)
    rich_menus = RichMenuActivities(db, line)
    dates = DateActivities(db, definitions, enroller)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[EnrollmentWorkflow, DateTriggerWorkflow],
        activities=[
            sending.send_message_step,
            store.record_progress,
            store.evaluate_branch,
            store.record_decision,
            store.check_condition,
            journeys.update_friend,
            journeys.switch_scenario,
            rich_menus.change_rich_menu,
            SurveyActivities(db).close_survey,
            dates.fire_date_trigger,
            dates.read_friend_date,
        ],
        # a deploy lets pushes under way finish rather than cancel them mid-request
        graceful_shutdown_timeout=timedelta(seconds=10),
        # pushes are the task queue's only regular activities: Temporal's server spreads this
        # limit over every worker polling the queue, so the channel as a whole stays under it
        max_task_queue_activities_per_second=push_rate,
        max_cached_workflows=workflow_cache,
        # 2,000 timers firing at once are 2,000 workflow tasks to fetch: 20 polls in flight
        # instead of Temporal's 5 delivered ~15 % more per second (bench/, 1,000 friends)
        workflow_task_poller_behavior=PollerBehaviorSimpleMaximum(maximum=WORKFLOW_POLLS),
        # the sandbox re-imports the workflow module for every workflow it loads and runs
        # every payload conversion through exec(): a third of the worker's CPU (bench/)
        workflow_runner=SandboxedWorkflowRunner() if sandboxed else UnsandboxedWorkflowRunner(),
        interceptors=[logs.ActivityIds()],  # an activity's log lines carry its ids
    )


async def connect(settings: Settings) -> Client:
    """Temporal's client; a server still starting (or restarting) is waited for, up to
    STEPLINE_TEMPORAL_CONNECT_TIMEOUT seconds. With STEPLINE_TEMPORAL_METRICS_ADDRESS, on a
    runtime that exports Temporal's SDK metrics there."""
    deadline = time.monotonic() + settings.temporal_connect_timeout
    pause = 0.5
    address = settings.temporal_metrics_address
    runtime = metrics.temporal_runtime(address) if address else None
    while True:
        try:
            return await Client.connect(
                settings.temporal_address,
                namespace=settings.temporal_namespace,
                data_converter=pydantic_data_converter,
                runtime=runtime,
            )
        except RuntimeError as exc:
            if time.monotonic() + pause > deadline:
                raise
            logging.getLogger("stepline.worker").warning(
                "Temporal at %s not reachable yet, trying again in %.1fs: %s",
                settings.temporal_address,
                pause,
                exc,
            )
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)


async def main() -> None:
    settings = load_settings().require("LINE_CHANNEL_ACCESS_TOKEN")
    logs.configure(settings.log_format)
    if settings.worker_metrics_port:  # sends, LINE latency, holds: /metrics on this port
        metrics.serve(settings.worker_metrics_port, settings.worker_metrics_host)
    db = Database(settings.database_url)
    await db.migrate()
    client = await connect(settings)
    line = LinePusher.from_settings(settings)
    worker = create_worker(
        client,
        task_queue=settings.task_queue,
        db=db,
        line=line,
        public_url=str(settings.public_url),
        push_rate=settings.push_rate,
        local_push_rate=settings.worker_push_rate,
        workflow_cache=settings.workflow_cache,
        sandboxed=settings.workflow_sandbox,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with AsyncExitStack() as running:
        await running.enter_async_context(worker)
        logging.getLogger("stepline.worker").info(
            "worker polling task queue %r on %s", settings.task_queue, settings.temporal_address
        )
        if settings.webhook_processor == "worker":
            await running.enter_async_context(dispatching(settings, client, db))
        await stop.wait()
    await line.close()
    await db.close()


@asynccontextmanager
async def dispatching(
    settings: Settings, client: Client, db: Database
) -> AsyncIterator[Dispatcher]:
    """STEPLINE_WEBHOOK_PROCESSOR=worker: the changes the API (and the activities) recorded
    are acted on here, with this worker's client, so each enrollment's first workflow task
    comes back with the answer to its start (eager workflow start)."""
    profiles = LinePusher.from_settings(settings, timeout=PROFILE_TIMEOUT)
    dispatcher = build_pipeline(
        db=db,
        temporal=client,
        task_queue=settings.task_queue,
        definitions=Definitions(db),
        profiles=profiles,
        eager=True,
    ).dispatcher
    await dispatcher.start()
    try:
        yield dispatcher
    finally:
        await dispatcher.stop()
        await profiles.close()


def run() -> int:
    try:
        asyncio.run(main())
        return 0
    except RuntimeError as exc:  # e.g. Temporal unreachable: one line, not a traceback
        sys.stderr.write(f"stepline worker: {exc}\n")
        return 1


if __name__ == "__main__":
    code = run()
    # sdk-python#300: the interpreter may abort while finalizing after a Temporal client;
    # flush and leave before that can turn a clean stop into exit 134/139.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
