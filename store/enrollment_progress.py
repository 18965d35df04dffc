"""What an enrollment's workflow reports, written: status, holds, deliveries left unconfirmed."""

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import insert
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from core import metrics
from domain.statuses import FINAL, DeliveryStatus
from scenarios.runs import EnrollmentStatus, ProgressUpdate
from store.enrollment_ids import epoch_of
from store.tables import Delivery, Enrollment, Hold, StepEntry
from store.upsert import insert_ignore

CHUNK = 500  # ids (or rows) a statement: within any database's bound-parameter limit
STOPPED = ("blocked", "exited", "ended")  # over before its schedule, by the friend or the admin


async def record_status(
    session: AsyncSession, *, status: EnrollmentStatus, at: datetime, entered: str | None = None
) -> None:
    """Write what the workflow reports; a final status is never overwritten by a late live one."""
    await record_statuses(session, [ProgressUpdate(status=status, at=at, entered=entered)])


async def settle(
    session: AsyncSession,
    row: Enrollment,
    status: str,
    *,
    at: datetime,
    error: str | None = None,
) -> None:
    """An enrollment settled here, not by its workflow (it never started, or is over): its
    row takes `status` as if the workflow had reported it, at the step it had got to."""
    await record_status(
        session,
        status=EnrollmentStatus(
            enrollment_id=row.id,
            scenario_id=row.scenario_id,
            version=row.version,
            user_id=row.user_id,
            status=status,  # type: ignore[arg-type]
            step=row.current_step,
            error=error,
        ),
        at=at,
    )


class Report(Protocol):
    """What record_progress hands over: a status, the moment, the step just entered."""

    status: EnrollmentStatus
    at: datetime
    entered: str | None


async def record_statuses(
    session: AsyncSession, reports: Sequence[Report]
) -> list[EnrollmentStatus | None]:
    """`record_status` for many reports, applied in their order (one enrollment's reports each
    see the one before), with a few statements for them all rather than three each: their rows
    read (and locked, in id order) at once, their step entries inserted at once. For each
    report, None — or, for a final report on a row already final otherwise, the status the
    store keeps (the workflow takes it: the two say the same)."""
    ids = sorted({report.status.enrollment_id for report in reports})
    rows: dict[str, Enrollment] = {}
    for start in range(0, len(ids), CHUNK):
        statement = (
            select(Enrollment)
            .where(col(Enrollment.id).in_(ids[start : start + CHUNK]))
            .order_by(col(Enrollment.id))
            .with_for_update()
        )
        rows.update((row.id, row) for row in await session.exec(statement))
    entries: dict[tuple[str, str], dict] = {}
    holds: list[dict] = []
    stopped: dict[str, str] = {}
    kept: list[EnrollmentStatus | None] = []
    for report in reports:
        status, at = report.status, report.at
        row = rows.get(status.enrollment_id)
        if row is None:
            row = rows[status.enrollment_id] = _new_row(status, at)
        kept.append(_kept(row, status))
        if row.status not in FINAL and _goes_into_hold(row, status):
            metrics.HOLDS.labels(reason=status.hold_reason or "unknown").inc()
            if status.step is not None:
                holds.append(_hold(status, at))
        if _apply_status(session, row, status, at):
            stopped[status.enrollment_id] = status.status
        if report.entered:  # the first report of a step is the one kept, as one by one
            entries.setdefault(
                (status.enrollment_id, report.entered),
                {
                    "enrollment_id": status.enrollment_id,
                    "step_id": report.entered,
                    "scenario_id": status.scenario_id,
                    "entered_at": at,
                    "event_seq": None,
                },
            )
    rows_of_entries = list(entries.values())
    for start in range(0, len(rows_of_entries), CHUNK):
        await insert_ignore(session, StepEntry, rows_of_entries[start : start + CHUNK])
    if holds:
        await session.exec(insert(Hold.__table__), params=holds)
    await _unconfirmed(session, stopped)
    return kept


def _kept(row: Enrollment, status: EnrollmentStatus) -> EnrollmentStatus | None:
    """The store's own end, when a final report finds the row ended otherwise already (e.g. a
    workflow task re-run after a signal, whose first run's push recorded the completion)."""
    if status.status not in FINAL or row.status not in FINAL or row.status == status.status:
        return None
    return status.model_copy(
        update={"status": row.status, "step": row.current_step, "error": row.error}
    )


def _new_row(status: EnrollmentStatus, at: datetime) -> Enrollment:
    return Enrollment(
        id=status.enrollment_id,
        scenario_id=status.scenario_id,
        version=status.version,
        user_id=status.user_id,
        epoch=epoch_of(status.enrollment_id),
        started_at=at,
    )


def _apply_status(
    session: AsyncSession, row: Enrollment, status: EnrollmentStatus, at: datetime
) -> bool:
    """Whether this report stopped the enrollment (blocked, exited or ended) just now."""
    if row.status in FINAL:
        return False
    row.version = status.version  # a migration moves it to a newer version
    row.status = status.status
    row.current_step = status.step
    row.next_wake_at = status.next_wake_at
    row.hold_reason = status.hold_reason
    row.error = status.error
    row.updated_at = at
    if status.status in FINAL:
        row.ended_at = at
    session.add(row)
    return status.status in STOPPED


def _goes_into_hold(row: Enrollment, status: EnrollmentStatus) -> bool:
    """Whether the report puts the enrollment into a hold: not the same hold of the same step
    reported again. (Its metric may count twice when a batch is rolled back and written again;
    the Hold row is rolled back with it.)"""
    held = ("held", status.hold_reason, status.step)
    return status.status == "held" and (row.status, row.hold_reason, row.current_step) != held


def _hold(status: EnrollmentStatus, at: datetime) -> dict:
    return {
        "enrollment_id": status.enrollment_id,
        "scenario_id": status.scenario_id,
        "step_id": status.step,
        "reason": status.hold_reason,
        "since": at,
        "until": status.next_wake_at,
    }


def unconfirmed_error(reason: str) -> str:
    """Why a delivery row is `unconfirmed`: its enrollment stopped (`reason`) first."""
    return f"enrollment {reason} before LINE's answer to this push was seen"


async def _unconfirmed(session: AsyncSession, stopped: dict[str, str]) -> None:
    """Enrollments that stopped with a push reserved: the worker died after pushing, before
    recording LINE's answer, and the block (exit, end) came before the retry, which then never
    ran. The row says `unconfirmed`, as a retry that saw the block would have written (store.
    send_gate); LINE's side knows by the retry key."""
    for reason in sorted(set(stopped.values())):
        ids = sorted(eid for eid, status in stopped.items() if status == reason)
        for start in range(0, len(ids), CHUNK):
            await session.exec(
                update(Delivery)
                .where(
                    col(Delivery.enrollment_id).in_(ids[start : start + CHUNK]),
                    col(Delivery.status) == DeliveryStatus.RESERVED,
                )
                .values(
                    status=DeliveryStatus.UNCONFIRMED,
                    error=unconfirmed_error(reason),
                )
            )
