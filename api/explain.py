"""Why each enrollment is where it is: its state from the running workflow's `status` query
when Temporal answers (else from the store's row, saying why), with the step it entered last,
its last decision and the facts it read, and its deliveries."""

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from api.schemas import DecisionPublic, DeliveryPublic, Explanation
from app.timeline import QUERY_TIMEOUT
from domain.statuses import LIVE
from scenarios.runs import EnrollmentStatus
from store.history import History, histories
from store.tables import Enrollment
from triggers.temporal import query_enrollments


async def explained(
    session: AsyncSession, temporal: Client, rows: list[Enrollment]
) -> list[dict[str, Any]]:
    """The rows as EnrollmentExplained."""
    live = [row.id for row in rows if row.status in LIVE]
    answers = await query_enrollments(temporal, live, timeout=QUERY_TIMEOUT) if live else {}
    found = await histories(session, enrollment_ids=[row.id for row in rows])
    return [
        {**row.model_dump(), "explain": _explain(row, answers.get(row.id), found[row.id])}
        for row in rows
    ]


def _explain(
    row: Enrollment, answer: EnrollmentStatus | str | None, history: History
) -> Explanation:
    if isinstance(answer, EnrollmentStatus):
        source, note = "workflow", None
        now = (answer.status, answer.step, answer.next_wake_at, answer.hold_reason, answer.error)
    else:  # finished, or the workflow did not answer (`answer` says why)
        source, note = "store", answer
        now = (row.status, row.current_step, row.next_wake_at, row.hold_reason, row.error)
    status, step, wake, hold, error = now
    entered = {entry.step_id: entry.entered_at for entry in history.entries}
    decision = history.decisions[-1] if history.decisions else None
    return Explanation(
        source=source,
        source_note=note,
        status=status,
        step=step,
        last_step_entered_at=entered.get(step or "")
        or (history.entries[-1].entered_at if history.entries else None),
        last_decision=DecisionPublic(
            step=decision.step_id,
            label=decision.label,
            index=decision.branch_index,
            inputs=decision.inputs,
            at=decision.decided_at,
        )
        if decision
        else None,
        next_wake_at=wake,
        hold_reason=hold,
        error=error,
        deliveries=[
            DeliveryPublic(
                step=delivery.step_id,
                status=delivery.status,
                planned_at=delivery.planned_at,
                sent_at=delivery.sent_at,
                request_id=delivery.request_id,
                error=delivery.error,
                via=delivery.via,
                silent=delivery.silent,
            )
            for delivery in history.deliveries
        ],
    )
