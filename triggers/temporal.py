"""Everything stepline asks of Temporal outside workflows: start enrollments, signal them."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta

from temporalio.client import Client, WorkflowHandle
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from core.config import Settings
from scenarios.definition import ScenarioDefinition
from workflows import search
from workflows.date_trigger import DateTriggerWorkflow
from workflows.enrollment import EnrollmentWorkflow
from workflows.types import (
    BlockSignal,
    ConditionMet,
    ControlSignal,
    DateChanged,
    DateTriggerInput,
    EnrollmentInput,
    EnrollmentStatus,
    ExitSignal,
    MigrateSignal,
    SurveyAnswered,
    UnblockSignal,
)

log = logging.getLogger("stepline.temporal")
SIGNAL_CONCURRENCY = 50


async def connect_lazily(settings: Settings) -> Client:
    """A client that connects on first use, so the API starts (and says so on /healthz) while
    Temporal is still down."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        lazy=True,
    )


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


async def _signal_each(
    client: Client, ids: Iterable[str], send: Callable[[WorkflowHandle], Awaitable[None]]
) -> list[str]:
    """Signal every workflow, a bounded number at a time; returns the ids that had already
    finished. Other errors propagate, so the caller can retry."""
    limit = asyncio.Semaphore(SIGNAL_CONCURRENCY)
    gone: list[str] = []

    async def one(workflow_id: str) -> None:
        async with limit:
            try:
                await send(client.get_workflow_handle(workflow_id))
            except RPCError as err:
                if not _gone(err):
                    raise
                gone.append(workflow_id)

    await asyncio.gather(*(one(workflow_id) for workflow_id in ids))
    return gone


async def block_enrollments(client: Client, ids: Iterable[str]) -> list[str]:
    return await _signal_each(
        client, ids, lambda h: h.signal(EnrollmentWorkflow.block, BlockSignal())
    )


async def control_enrollments(
    client: Client, ids: Iterable[str], signal: ControlSignal, *, spread: timedelta | None = None
) -> list[str]:
    """Pause, resume or end enrollments; a resume with `spread` releases them in turn (in the
    order given) over that period, not all in the same second."""
    ids = list(ids)
    signals = {
        workflow_id: signal.model_copy(update={"delay": spread * index / len(ids)})
        if spread and signal.action == "resume"
        else signal
        for index, workflow_id in enumerate(ids)
    }
    return await _signal_each(
        client, ids, lambda h: h.signal(EnrollmentWorkflow.control, signals[h.id])
    )


async def exit_enrollments(client: Client, reasons: dict[str, str]) -> list[str]:
    """Signal `exit` (workflow id → the condition that held)."""
    return await _signal_each(
        client,
        reasons,
        lambda h: h.signal(EnrollmentWorkflow.exit, ExitSignal(reason=reasons[h.id])),
    )


async def conditions_met(client: Client, steps: dict[str, str]) -> list[str]:
    """Signal `condition_met` (workflow id → the wait_for step whose `until` holds)."""
    return await _signal_each(
        client,
        steps,
        lambda h: h.signal(EnrollmentWorkflow.condition_met, ConditionMet(step_id=steps[h.id])),
    )


async def survey_answered(client: Client, workflow_id: str, signal: SurveyAnswered) -> bool:
    """Signal `survey_answered`; False when the enrollment has finished already."""
    gone = await _signal_each(
        client, [workflow_id], lambda h: h.signal(EnrollmentWorkflow.survey_answered, signal)
    )
    return not gone


async def migrate_enrollments(
    client: Client, ids: Iterable[str], signal: MigrateSignal
) -> list[str]:
    return await _signal_each(client, ids, lambda h: h.signal(EnrollmentWorkflow.migrate, signal))


async def unblock_enrollments(client: Client, ids: Iterable[str], *, epoch: int) -> list[str]:
    """A friend is back: parked enrollments (`on_unblock: resume`) go on."""
    signal = UnblockSignal(epoch=epoch)
    return await _signal_each(client, ids, lambda h: h.signal(EnrollmentWorkflow.unblock, signal))


def date_trigger_id(scenario_id: str, user_id: str) -> str:
    return f"date:{scenario_id}:{user_id}"


async def schedule_dates(
    client: Client, *, task_queue: str, inputs: Iterable[DateTriggerInput]
) -> None:
    """Start each friend's date schedule (DateTriggerWorkflow), or tell the running one the
    trigger and the date as they are now (signal-with-start: one call either way; a schedule
    that has ended is started again)."""
    limit = asyncio.Semaphore(SIGNAL_CONCURRENCY)

    async def one(input: DateTriggerInput) -> None:
        async with limit:
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
            )

    await asyncio.gather(*(one(input) for input in inputs))


async def end_date_schedules(client: Client, ids: list[str]) -> int:
    """Cancel these date schedules (a scenario ended); how many were running."""
    limit = asyncio.Semaphore(SIGNAL_CONCURRENCY)

    async def one(workflow_id: str) -> bool:
        async with limit:
            try:
                await client.get_workflow_handle(workflow_id).terminate("the scenario ended")
                return True
            except RPCError:  # never started (no date), or ended already
                return False

    return sum(await asyncio.gather(*(one(i) for i in ids)))


async def dates_changed(client: Client, signals: dict[str, DateChanged]) -> list[str]:
    """Signal `date_changed` (workflow id → the date as it is now): to enrollments waiting
    until a date, and to date schedules (DateTriggerWorkflow); the ids that have ended."""
    return await _signal_each(client, signals, lambda h: h.signal("date_changed", signals[h.id]))
