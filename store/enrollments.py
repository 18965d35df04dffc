"""Enrollments as the store sees them: created when a workflow is started, their steps entered,
reopened for a retry, read by the admin API and the triggers (what the workflow reports is
written by store/enrollment_progress.py)."""

from datetime import datetime
from typing import Protocol

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.statuses import LIVE, DeliveryStatus
from scenarios.runs import FirstWait
from store.enrollment_ids import counted, enrollment_id
from store.tables import Delivery, Enrollment, StepEntry
from store.upsert import insert_ignore


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
    reply_event: str | None = None,
    first_wait: FirstWait | None = None,
) -> str:
    eid = enrollment_id(scenario_id=scenario_id, user_id=user_id, epoch=epoch, entry=entry)
    await ensure_enrollments(
        session,
        [
            {
                "id": eid,
                "scenario_id": scenario_id,
                "version": version,
                "user_id": user_id,
                "epoch": epoch,
                "entry": entry,
                "event_seq": event_seq,
                "reply_event": reply_event,
                "at": at,
                "first_wait": first_wait,
            }
        ],
    )
    return eid


async def ensure_enrollments(session: AsyncSession, rows: list[dict]) -> None:
    """`ensure_enrollment` for many, one statement: each row's id (`enrollment_id`), scenario,
    version, friend, epoch, entry, event_seq, reply_event and `at`; kept where there already.
    A row's `first_wait` (scenarios.runs.first_wait): the enrollment waits at that step from
    `at`, its progress and its step entry written here rather than by its workflow."""
    await insert_ignore(
        session,
        Enrollment,
        [
            {
                **{key: value for key, value in row.items() if key not in ("at", "first_wait")},
                "status": "waiting",
                "current_step": row["first_wait"].step_id if row.get("first_wait") else None,
                "next_wake_at": row["first_wait"].wake if row.get("first_wait") else None,
                "started_at": row["at"],
                "updated_at": row["at"],
            }
            for row in rows
        ],
    )
    entries = [
        {
            "enrollment_id": row["id"],
            "step_id": row["first_wait"].step_id,
            "scenario_id": row["scenario_id"],
            "entered_at": row["at"],
            "event_seq": None,
        }
        for row in rows
        if row.get("first_wait")
    ]
    if entries:
        await insert_ignore(session, StepEntry, entries)


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
            col(Delivery.status) == DeliveryStatus.FAILED,
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
    """Every enrollment this friend has had in the scenario, any status (a test send's runs
    are none: they never hold back a real enrollment)."""
    statement = select(Enrollment).where(
        Enrollment.scenario_id == scenario_id,
        Enrollment.user_id == user_id,
        counted(Enrollment.id),
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
    """Enrollments, newest first; a test send's runs are not listed (the friend's timeline
    shows them, marked as tests)."""
    statement = select(Enrollment).where(counted(Enrollment.id))
    if scenario_id:
        statement = statement.where(Enrollment.scenario_id == scenario_id)
    if user_id:
        statement = statement.where(Enrollment.user_id == user_id)
    if status:
        statement = statement.where(Enrollment.status == status)
    statement = statement.order_by(col(Enrollment.started_at).desc(), col(Enrollment.id))
    return list(await session.exec(statement.offset(offset).limit(limit)))
