"""What others see of a running enrollment: its search attributes and current details in the
Temporal UI, and its progress and decisions in the store (the dashboard, the API)."""

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.statuses import HoldReason, Status
    from scenarios.runs import DecisionRecord, EnrollmentStatus, ProgressUpdate
    from workflows import calls, search
    from workflows.journey import Journey


def set_state(
    journey: Journey,
    status: Status,
    step: str | None,
    *,
    wake: datetime | None = None,
    hold: HoldReason | None = None,
    error: str | None = None,
) -> None:
    state = journey.state
    state.status, state.step = status, step
    if not journey.fast:
        index(journey)
    state.next_wake_at, state.hold_reason, state.error = wake, hold, error
    line = f"step `{step}`: {status}" if step else status
    if hold:
        line += f" ({hold})"
    if wake:
        line += f" until {journey.local(wake)}"
    if error:
        line += f"\n\n{error}"
    workflow.set_current_details(
        f"**{journey.scenario.name}** · v{journey.version} · {journey.input.user_id}\n\n{line}"
    )


def index(journey: Journey) -> None:
    """StepStatus and StepCurrent as they are now. On the fast path only where the
    enrollment stops to wait (and at its end): a step passed through within one workflow
    task costs no upsert of its own."""
    status, step = journey.state.status, journey.state.step
    if (status, step) != journey.indexed:
        journey.indexed = (status, step)
        workflow.upsert_search_attributes(
            [search.STATUS.value_set(status), search.CURRENT.value_set(step or "")]
        )


async def report(
    journey: Journey,
    status: Status,
    step: str | None,
    *,
    wake: datetime | None = None,
    hold: HoldReason | None = None,
    error: str | None = None,
    entered: str | None = None,
) -> EnrollmentStatus | None:
    """`set_state`, and the same recorded in the store (`entered`: a step begun); for a final
    status, the store's own end where it has another (workflows/enrollment.py takes it)."""
    set_state(journey, status, step, wake=wake, hold=hold, error=error)
    return await calls.record_progress(
        ProgressUpdate(status=journey.state, entered=entered, at=workflow.now()),
        f"record {status}" + (f" at {step}" if step else ""),
    )


async def decided(journey: Journey, step_id: str, label: str, index: int, inputs: dict) -> None:
    """Which way a step went (`then`, `on_timeout`, an arm), kept for the stats."""
    await calls.record_decision(
        DecisionRecord(
            enrollment_id=journey.input.enrollment_id,
            scenario_id=journey.input.scenario_id,
            step_id=step_id,
            label=label,
            index=index,
            at=workflow.now(),
            inputs=inputs,
        ),
        f"{step_id} → {label}",
    )
