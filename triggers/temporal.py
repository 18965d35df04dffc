"""Everything stepline asks of Temporal outside workflows: start enrollments and date
schedules, signal them, ask them. Only the dispatcher changes anything (triggers/dispatch.py)."""

import asyncio
import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from scenarios.date_runs import DateTriggerInput
from scenarios.definition import ScenarioDefinition
from scenarios.runs import EnrollmentInput, EnrollmentStatus
from workflows import search
from workflows.date_trigger import DateTriggerWorkflow
from workflows.enrollment import EnrollmentWorkflow

log = logging.getLogger("stepline.temporal")
SIGNAL_CONCURRENCY = 50
RPC_TIMEOUT = timedelta(seconds=10)  # a call Temporal does not answer is tried again later


async def start_enrollment(
    client: Client,
    *,
    task_queue: str,
    input: EnrollmentInput,
    definition: ScenarioDefinition,
    again: bool = False,
    eager: bool = False,
) -> bool:
    """Start the workflow; False when this enrollment already exists (running or finished):
    a redelivered or duplicated webhook never enrols twice. `again` (an admin retry of a
    failed enrollment): a new run under the same id once the last run has closed; False
    while one is running. `eager`: the caller's client belongs to a worker of `task_queue`,
    which is handed the first workflow task with the answer to the start."""
    current = input.resume_at or definition.steps[0].id
    try:
        await client.start_workflow(
            EnrollmentWorkflow.run,
            # the workflow knows these search attributes are set: its first wait upserts none
            input.model_copy(update={"indexed": True}),
            id=input.enrollment_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL
            if again
            else WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE
            if again
            else WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(search.SCENARIO_ID, input.scenario_id),
                    SearchAttributePair(search.LINE_USER_ID, input.user_id),
                    SearchAttributePair(search.STATUS, "waiting"),
                    SearchAttributePair(search.CURRENT, current),
                ]
            ),
            static_summary=f"{definition.name} (v{input.version}) for {input.user_id}",
            request_eager_start=eager,
            rpc_timeout=RPC_TIMEOUT,
        )
    except WorkflowAlreadyStartedError:
        return False
    return True


def _gone(err: RPCError) -> bool:
    return err.status == RPCStatusCode.NOT_FOUND


async def query_enrollments(
    client: Client, ids: Iterable[str], *, timeout: float
) -> dict[str, EnrollmentStatus | str]:
    """The `status` query of each enrollment; for one that gives no answer within `timeout`
    seconds (Temporal unreachable, the workflow gone, no worker), why not. Never raises."""
    limit = asyncio.Semaphore(SIGNAL_CONCURRENCY)

    async def one(workflow_id: str) -> EnrollmentStatus | str:
        handle = client.get_workflow_handle_for(EnrollmentWorkflow.run, workflow_id)
        async with limit:
            try:
                return await asyncio.wait_for(
                    handle.query(EnrollmentWorkflow.status, rpc_timeout=timedelta(seconds=timeout)),
                    timeout,
                )
            except TimeoutError:
                return f"Temporal gave no answer within {timeout:g} s"
            except RPCError as err:
                return "the workflow is gone" if _gone(err) else f"Temporal: {err.message}"
            except Exception as exc:  # unreachable, query failed: the caller falls back
                return f"Temporal unreachable: {type(exc).__name__}: {exc}"[:300]

    ids = list(ids)
    answers = await asyncio.gather(*(one(workflow_id) for workflow_id in ids))
    return dict(zip(ids, answers, strict=True))


async def signal_each(
    client: Client, signals: dict[str, tuple[str, Any]], *, concurrency: int = SIGNAL_CONCURRENCY
) -> list[str]:
    """Signal every workflow (id → (signal name, argument)), a bounded number at a time;
    returns the ids that had already finished or never started. Other errors propagate (the
    dispatcher tries again later)."""
    limit = asyncio.Semaphore(concurrency)
    gone: list[str] = []

    async def one(workflow_id: str) -> None:
        name, argument = signals[workflow_id]
        async with limit:
            try:
                await client.get_workflow_handle(workflow_id).signal(
                    name, argument, rpc_timeout=RPC_TIMEOUT
                )
            except RPCError as err:
                if not _gone(err):
                    raise
                gone.append(workflow_id)

    await asyncio.gather(*(one(workflow_id) for workflow_id in signals))
    return gone


def date_trigger_id(scenario_id: str, user_id: str) -> str:
    return f"date:{scenario_id}:{user_id}"


async def schedule_date(client: Client, *, task_queue: str, input: DateTriggerInput) -> None:
    """Start a friend's date schedule (DateTriggerWorkflow), or tell the running one the
    trigger and the date as they are now (signal-with-start: one call either way; a schedule
    that has ended is started again)."""
    await client.start_workflow(
        DateTriggerWorkflow.run,
        input,
        id=date_trigger_id(input.scenario_id, input.user_id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        start_signal="reschedule",
        start_signal_args=[input],
        static_summary=f"{input.scenario_id}: {input.attribute} of {input.user_id}",
        rpc_timeout=RPC_TIMEOUT,
    )


async def terminate(client: Client, workflow_id: str, reason: str) -> bool:
    """End a workflow now; False when it was not running (never started, or over)."""
    try:
        await client.get_workflow_handle(workflow_id).terminate(reason, rpc_timeout=RPC_TIMEOUT)
        return True
    except RPCError as err:
        if not _gone(err) and err.status != RPCStatusCode.FAILED_PRECONDITION:
            raise
        return False


def unavailable(exc: BaseException) -> bool:
    """Temporal itself is away (down, restarting, unreachable), not the request."""
    if isinstance(exc, RPCError):
        return exc.status in (
            RPCStatusCode.UNAVAILABLE,
            RPCStatusCode.DEADLINE_EXCEEDED,
            RPCStatusCode.CANCELLED,
            RPCStatusCode.UNKNOWN,
            RPCStatusCode.RESOURCE_EXHAUSTED,
        )
    return isinstance(exc, TimeoutError | ConnectionError | RuntimeError)
