"""Enrollments as the store sees them: created when a workflow is started, kept current by the
workflow's activities, read by the admin API and the stats."""

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import insert
from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from core import metrics
from domain.statuses import FINAL, LIVE
from scenarios.runs import EnrollmentStatus, ProgressUpdate
from store.tables import Delivery, Enrollment, Hold, StepEntry
from store.upsert import insert_ignore

CHUNK = 500  # ids (or rows) a statement: within any database's bound-parameter limit
STOPPED = ("blocked", "exited", "ended")  # over before its schedule, by the friend or the admin
ENROLLMENT_ID_PATTERN = r"^enrollment:[A-Za-z0-9_\-]{1,32}:U[0-9a-f]{32}:[0-9]{1,9}(:[0-9]{1,9})?$"


def enrollment_id(*, scenario_id: str, user_id: str, epoch: int, entry: int = 1) -> str:
    """The workflow id (docs/CONTRACT.md §4): one enrollment per scenario, friend and follow epoch; a
    friend taken again by a `reentry` scenario (or a `switch`) gets `:2`, `:3` … after it."""
    base = f"enrollment:{scenario_id}:{user_id}:{epoch}"
    return base if entry == 1 else f"{base}:{entry}"


def epoch_of(workflow_id: str) -> int:
    return int(workflow_id.split(":")[3])


async def ensure_enrollment(
    session: AsyncSession,
    *,
    scenario_id: str,
    version: int,
    user_id: str,
    epoch: int,
    at: datetime,
    entry: int = 1,
    event_seq: int = 0,
) -> str:
    eid = enrollment_id(scenario_id=scenario_id, user_id=user_id, epoch=epoch, entry=entry)
    await insert_ignore(
        session,
        Enrollment,
        [
            {
                "id": eid,
                "scenario_id": scenario_id,
                "version": version,
                "user_id": user_id,
                "epoch": epoch,
                "entry": entry,
                "event_seq": event_seq,
                "status": "waiting",
                "started_at": at,
                "updated_at": at,
            }
        ],
    )
    return eid


async def record_status(
    session: AsyncSession, *, status: EnrollmentStatus, at: datetime, entered: str | None = None
) -> None:
    """Write what the workflow reports; a final status is never overwritten by a late live one."""
    await record_statuses(session, [ProgressUpdate(status=status, at=at, entered=entered)])


class Report(Protocol):
    """What record_progress hands over: a status, the moment, the step just entered."""

    status: EnrollmentStatus
    at: datetime
    entered: str | None


async def record_statuses(session: AsyncSession, reports: Sequence[Report]) -> None:
    """`record_status` for many reports, applied in their order (one enrollment's reports each
    see the one before), with a few statements for them all rather than three each: their rows
    read (and locked, in id order) at once, their step entries inserted at once."""
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
    for report in reports:
        status, at = report.status, report.at
        row = rows.get(status.enrollment_id)
        if row is None:
            row = rows[status.enrollment_id] = _new_row(status, at)
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
    deliveries); LINE's side knows by the retry key."""
    for reason in sorted(set(stopped.values())):
        ids = sorted(eid for eid, status in stopped.items() if status == reason)
        for start in range(0, len(ids), CHUNK):
            await session.exec(
                update(Delivery)
                .where(
                    col(Delivery.enrollment_id).in_(ids[start : start + CHUNK]),
                    col(Delivery.status) == "reserved",
                )
                .values(
                    status="unconfirmed",
                    error=unconfirmed_error(reason),
                )
            )


async def record_entry(
    session: AsyncSession,
    *,
    enrollment_id: str,
    scenario_id: str,
    step_id: str,
    at: datetime,
    event_seq: int | None = None,
) -> None:
    """The enrollment reached this step (once per step: paths never revisit one)."""
    await insert_ignore(
        session,
        StepEntry,
        [
            {
                "enrollment_id": enrollment_id,
                "step_id": step_id,
                "scenario_id": scenario_id,
                "entered_at": at,
                "event_seq": event_seq,
            }
        ],
    )


async def reopen(session: AsyncSession, *, enrollment: Enrollment, at: datetime) -> None:
    """A `failed` enrollment retried: live again at its failed step (so that what the new run
    reports is written), and that step's failed delivery cleared. LINE records only the
    requests it accepts, so the retry key of the refused push is unused: the push is
    reserved anew (cap, channel policy) with the same key."""
    enrollment.status, enrollment.error, enrollment.ended_at = "waiting", None, None
    enrollment.next_wake_at, enrollment.hold_reason, enrollment.updated_at = None, None, at
    session.add(enrollment)
    await session.exec(
        delete(Delivery).where(
            col(Delivery.enrollment_id) == enrollment.id,
            col(Delivery.step_id) == enrollment.current_step,
            col(Delivery.status) == "failed",
        )
    )


class AtStep(Protocol):
    """Any request that names an enrollment, one of its steps and the moment (workflow time)."""

    enrollment_id: str
    scenario_id: str
    step_id: str
    at: datetime


async def record_step(session: AsyncSession, request: AtStep, *, event_seq: int | None = None):
    """record_entry for a request from the workflow."""
    await record_entry(
        session,
        enrollment_id=request.enrollment_id,
        scenario_id=request.scenario_id,
        step_id=request.step_id,
        at=request.at,
        event_seq=event_seq,
    )


async def of_friend_in(
    session: AsyncSession, *, scenario_id: str, user_id: str
) -> list[Enrollment]:
    """Every enrollment this friend has had in the scenario, any status."""
    statement = select(Enrollment).where(
        Enrollment.scenario_id == scenario_id, Enrollment.user_id == user_id
    )
    return list(await session.exec(statement))


async def live_for_friends(session: AsyncSession, *, user_ids: list[str]) -> list[Enrollment]:
    found: list[Enrollment] = []
    for start in range(0, len(user_ids), 500):
        statement = select(Enrollment).where(
            col(Enrollment.user_id).in_(user_ids[start : start + 500]),
            col(Enrollment.status).in_(LIVE),
        )
        found.extend(await session.exec(statement))
    return found


async def live_for_friend(session: AsyncSession, *, user_id: str) -> list[Enrollment]:
    statement = select(Enrollment).where(
        Enrollment.user_id == user_id, col(Enrollment.status).in_(LIVE)
    )
    return list(await session.exec(statement))


async def live_for_scenario(session: AsyncSession, *, scenario_id: str) -> list[Enrollment]:
    """Running enrollments in the order they began."""
    statement = (
        select(Enrollment)
        .where(Enrollment.scenario_id == scenario_id, col(Enrollment.status).in_(LIVE))
        .order_by(col(Enrollment.started_at), col(Enrollment.id))
    )
    return list(await session.exec(statement))


async def list_enrollments(
    session: AsyncSession,
    *,
    scenario_id: str | None = None,
    user_id: str | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Enrollment]:
    statement = select(Enrollment)
    if scenario_id:
        statement = statement.where(Enrollment.scenario_id == scenario_id)
    if user_id:
        statement = statement.where(Enrollment.user_id == user_id)
    if status:
        statement = statement.where(Enrollment.status == status)
    statement = statement.order_by(col(Enrollment.started_at).desc(), col(Enrollment.id))
    return list(await session.exec(statement.offset(offset).limit(limit)))
