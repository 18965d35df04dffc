"""The Temporal worker: `python worker.py` (docs/CONTRACT.md §2)."""

import asyncio
import compileall
import logging
import signal
import sys
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import PollerBehaviorSimpleMaximum, UnsandboxedWorkflowRunner, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from app.probes import probing, readiness
from app.roles import dispatching, worker_activities, worker_role
from core import exits, heap, logs
from core.config import load_settings
from line.client import LinePusher
from store.db import Database
from triggers.connection import TemporalSettingError
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
    tasks: int = 300,
    sandboxed: bool = True,
    grace_seconds: float = 20.0,
    multicast: bool = True,
) -> Worker:
    compile_workflows()
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[EnrollmentWorkflow, DateTriggerWorkflow],
        activities=worker_activities(
            client,
            db,
            line,
            task_queue=task_queue,
            public_url=public_url,
            push_rate=local_push_rate or push_rate,
            multicast=multicast,
        ),
        # SIGTERM (a deploy, a scale-down): polling stops at once, and pushes under way get
        # STEPLINE_WORKER_GRACE_SECONDS to finish rather than be cancelled mid-request
        graceful_shutdown_timeout=timedelta(seconds=grace_seconds),
        # pushes are the task queue's only regular activities: Temporal's server spreads this
        # limit over every worker polling the queue, so the channel as a whole stays under it
        max_task_queue_activities_per_second=push_rate,
        max_cached_workflows=workflow_cache,
        max_concurrent_workflow_tasks=tasks,
        max_concurrent_local_activities=tasks,
        # 2,000 timers firing at once are 2,000 workflow tasks to fetch: 20 polls in flight
        # instead of Temporal's 5 delivered ~15 % more per second (bench/, 1,000 friends)
        workflow_task_poller_behavior=PollerBehaviorSimpleMaximum(maximum=WORKFLOW_POLLS),
        # the sandbox re-imports the workflow module for every workflow it loads and runs
        # every payload conversion through exec(): a third of the worker's CPU (bench/)
        workflow_runner=SandboxedWorkflowRunner() if sandboxed else UnsandboxedWorkflowRunner(),
        interceptors=[logs.ActivityIds()],  # an activity's log lines carry its ids
    )


async def main() -> None:
    settings = load_settings().require("LINE_CHANNEL_ACCESS_TOKEN")
    logs.configure(settings.log_format)
    # STEPLINE_WORKER_METRICS_PORT: sends, LINE latency, holds at /metrics; /healthz, /readyz
    async with probing(settings) as probes, worker_role(settings) as runtime:
        worker = create_worker(
            runtime.temporal,
            task_queue=settings.task_queue,
            db=runtime.db,
            line=runtime.line,
            public_url=str(settings.public_url),
            push_rate=settings.push_rate,
            local_push_rate=settings.worker_push_rate,
            workflow_cache=settings.workflow_cache,
            tasks=settings.worker_tasks,
            sandboxed=settings.workflow_sandbox,
            grace_seconds=settings.worker_grace_seconds,
            multicast=settings.multicast,
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
            if settings.webhook_processor == "worker":  # after the worker: it stops first
                await running.enter_async_context(
                    dispatching(settings, runtime.temporal, runtime.db)
                )
            # entered last, it ends first: /readyz says 503 while the rest stops and drains
            await running.enter_async_context(readiness(probes, worker, runtime.db))
            heap.settle()  # its start-up heap out of every full collection's walk
            await stop.wait()


def run() -> int:
    try:
        asyncio.run(main())
        return 0
    except TemporalSettingError as exc:  # a setting Temporal refuses (TLS): fix, not retry
        sys.stderr.write(f"stepline worker: {exc}\n")
        return 2
    except RuntimeError as exc:  # e.g. Temporal unreachable: one line, not a traceback
        sys.stderr.write(f"stepline worker: {exc}\n")
        return 1


if __name__ == "__main__":
    exits.leave(run())
