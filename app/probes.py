"""The worker's probes on its metrics port (STEPLINE_WORKER_METRICS_PORT), for a container
orchestrator: `/healthz` while its event loop is responsive, `/readyz` while its Temporal worker
polls, the database answers and its schema is at head — 503 from the moment it is told to stop
(SIGTERM) while it drains. core/probes.py keeps the facts; this is what the worker checks."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest, GetSystemInfoRequest
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from core import metrics
from core.config import Settings
from core.probes import OK, Probes
from store import migrate
from store.db import Database

CHECK_EVERY = 2.0  # seconds between two readiness checks (each given 2 s)


@asynccontextmanager
async def probing(settings: Settings) -> AsyncIterator[Probes]:
    """The worker's port serving /metrics, /healthz and /readyz (when the setting asks for it)
    from a thread, and the loop's heartbeat; until the block ends. Readiness: `readiness`."""
    probes = Probes()
    server = None
    if settings.worker_metrics_port:
        server = metrics.serve(settings.worker_metrics_port, settings.worker_metrics_host, probes)
    beating = asyncio.create_task(probes.heartbeat())
    try:
        yield probes
    finally:
        await stopped(beating)
        if server is not None:
            await asyncio.to_thread(server.shutdown)
            server.server_close()


@asynccontextmanager
async def readiness(probes: Probes, worker: Worker, db: Database) -> AsyncIterator[None]:
    """Readiness checked every 2 s while the block runs; from its end on, 503 `shutting down`
    (entered last, it ends first: while the dispatcher and the worker drain)."""
    checks = {
        "temporal": lambda: polling(worker),
        "database": lambda: answers(db),
        "migrations": lambda: schema(db),
    }
    watching = asyncio.create_task(probes.watch(checks, every=CHECK_EVERY))
    try:
        yield
    finally:
        probes.stopping = True
        await stopped(watching)


async def polling(worker: Worker) -> str:
    """`ok` while the worker runs and Temporal lists it among the task queue's pollers."""
    if not worker.is_running:
        return "stopped" if worker.is_shutdown else "starting"
    config = worker.config()
    client = worker.client
    request = DescribeTaskQueueRequest(
        namespace=client.namespace,
        task_queue=TaskQueue(name=config["task_queue"]),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    try:
        answer = await client.workflow_service.describe_task_queue(request)
    except RPCError as exc:
        if exc.status not in (RPCStatusCode.UNIMPLEMENTED, RPCStatusCode.PERMISSION_DENIED):
            raise
        # a server (or a role) that will not tell: that it answers has to do
        await client.workflow_service.get_system_info(GetSystemInfoRequest())
        return OK
    identity = config.get("identity") or client.identity
    return OK if any(p.identity == identity for p in answer.pollers) else "not polling"


async def answers(db: Database) -> str:
    await db.ping()
    return OK


async def schema(db: Database) -> str:
    return OK if await migrate.at_head(db) else "not at head"


async def stopped(task: asyncio.Task) -> None:
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task
