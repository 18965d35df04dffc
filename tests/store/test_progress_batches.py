"""record_progress (activities/progress.py) through the group commit: enrollments reporting
at the same moment share transactions, one enrollment's reports keep their order, a bad
report fails only its activity; on SQLite and (when configured) PostgreSQL."""

import asyncio
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from activities.progress import StoreActivities
from scenarios.runs import EnrollmentStatus, ProgressUpdate
from store.enrollment_ids import enrollment_id
from store.enrollment_progress import record_status, record_statuses
from store.tables import Enrollment, Hold, StepEntry
from tests.store.test_batches import transactions
from tests.support.stack import user

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def update(
    n: int, status: str = "waiting", step: str | None = "s1", *, entered=None, late: int = 0
) -> ProgressUpdate:
    return ProgressUpdate(
        status=EnrollmentStatus(
            enrollment_id=enrollment_id(scenario_id="progress", user_id=user(n), epoch=1),
            scenario_id="progress",
            version=1,
            user_id=user(n),
            status=status,
            step=step,
        ),
        entered=entered,
        at=NOW + timedelta(seconds=late),
    )


async def rows_of(db, ns: list[int]) -> dict[str, Enrollment]:
    ids = [update(n).status.enrollment_id for n in ns]
    async with db.reading() as session:
        statement = select(Enrollment).where(col(Enrollment.id).in_(ids))
        return {row.user_id: row for row in await session.exec(statement)}


async def test_enrollments_waking_at_once_share_transactions(db):
    activities = StoreActivities(db)
    ns = list(range(3000, 3200))
    with transactions(db) as counted:
        answers = await asyncio.gather(
            *(activities.record_progress(update(n, entered="s1")) for n in ns)
        )
    assert answers == [None] * len(ns)
    assert counted["commit"] <= 3 and activities.progress.items == len(ns)
    rows = await rows_of(db, ns)
    assert len(rows) == len(ns)
    assert {(row.status, row.current_step) for row in rows.values()} == {("waiting", "s1")}
    async with db.reading() as session:
        entries = (await session.exec(select(func.count()).select_from(StepEntry))).one()
    assert entries == len(ns)


async def test_one_enrollments_reports_in_one_batch_apply_in_order(db):
    activities = StoreActivities(db)
    reports = [
        update(3300, "waiting", "s1", entered="s1"),
        update(3301, "waiting", "s1"),
        update(3300, "sending", "s2", entered="s2", late=1),
        update(3300, "waiting", "s3", entered="s3", late=2),
        update(3301, "completed", None, late=1),
        update(3301, "waiting", "s9", late=2),  # late and live: a final status stays
    ]
    with transactions(db) as counted:
        await asyncio.gather(*(activities.record_progress(report) for report in reports))
    assert counted["commit"] == 1
    rows = await rows_of(db, [3300, 3301])
    first, second = rows[user(3300)], rows[user(3301)]
    assert (first.status, first.current_step) == ("waiting", "s3")
    assert first.updated_at.replace(tzinfo=UTC) == NOW + timedelta(seconds=2)
    assert (second.status, second.current_step) == ("completed", None)
    async with db.reading() as session:
        steps = list(
            await session.exec(select(StepEntry.step_id).where(StepEntry.enrollment_id == first.id))
        )
    assert sorted(steps) == ["s1", "s2", "s3"]


async def test_a_bad_report_fails_only_its_activity(db):
    activities = StoreActivities(db)
    bad = update(3400)
    bad.status.enrollment_id = "not-an-enrollment-id"  # no epoch in it: the row cannot be made
    reports = [update(3401), bad, update(3402)]
    outcomes = await asyncio.gather(
        *(activities.record_progress(report) for report in reports), return_exceptions=True
    )
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], IndexError)
    assert set(await rows_of(db, [3401, 3402])) == {user(3401), user(3402)}
    assert activities.progress.retried == 1
    await activities.record_progress(update(3403))  # and it goes on
    assert set(await rows_of(db, [3403])) == {user(3403)}


@pytest.mark.parametrize("reports", [1, 5])
async def test_the_activity_returns_once_committed(db, reports):
    activities = StoreActivities(db)
    ns = list(range(3500 + 10 * reports, 3500 + 11 * reports))
    for n in ns:
        await activities.record_progress(update(n, "held", "s1"))
        # another session sees it at once: the transaction holding it has committed
        assert (await rows_of(db, [n]))[user(n)].status == "held"


async def test_existing_rows_are_updated_in_a_batch(db):
    activities = StoreActivities(db)
    ns = list(range(3600, 3650))
    await asyncio.gather(*(activities.record_progress(update(n, entered="s1")) for n in ns))
    with transactions(db) as counted:
        await asyncio.gather(
            *(activities.record_progress(update(n, "sending", "s2", entered="s2")) for n in ns)
        )
    assert counted["commit"] <= 2
    rows = await rows_of(db, ns)
    assert {(row.status, row.current_step) for row in rows.values()} == {("sending", "s2")}


async def test_a_batch_writes_what_one_report_at_a_time_writes(db):
    """record_statuses (a batch) and record_status (one by one) agree, whatever the mix of
    new rows, live and final statuses, repeated steps and reports of one enrollment."""
    rng = random.Random(7)
    statuses = ["waiting", "sending", "held", "completed", "blocked", "failed"]
    script = [
        (rng.randrange(8), rng.choice(statuses), rng.choice(["s1", "s2", None]), k)
        for k in range(120)
    ]

    def report(base: int, n: int, status: str, step, k: int) -> ProgressUpdate:
        return update(base + n, status, step, entered=step, late=k)

    async with db.session() as session:
        for n, status, step, k in script:
            one = report(3700, n, status, step, k)
            await record_status(session, status=one.status, at=one.at, entered=one.entered)
            await session.commit()
    async with db.session() as session:
        await record_statuses(session, [report(3800, *line) for line in script])
        await session.commit()

    def seen(row: Enrollment) -> tuple:
        return (
            row.status,
            row.current_step,
            row.version,
            row.started_at,
            row.updated_at,
            row.ended_at,
        )

    one_by_one, batched = await rows_of(db, range(3700, 3708)), await rows_of(db, range(3800, 3808))
    assert [seen(one_by_one[user(3700 + n)]) for n in range(8)] == [
        seen(batched[user(3800 + n)]) for n in range(8)
    ]
    async with db.reading() as session:
        entries = list(await session.exec(select(StepEntry)))
    by_friend = {
        base: sorted(
            (entry.enrollment_id.split(":")[2][-2:], entry.step_id, entry.entered_at)
            for entry in entries
            if entry.enrollment_id.split(":")[2] in {user(base + n) for n in range(8)}
        )
        for base in (3700, 3800)
    }
    assert [(step, at) for _, step, at in by_friend[3700]] == [
        (step, at) for _, step, at in by_friend[3800]
    ]


async def test_each_hold_is_recorded_once_with_its_reason_and_end(db):
    def held(step: str, reason: str, late: int, until_hours: int) -> ProgressUpdate:
        report = update(7000, "held", step, late=late)
        report.status.hold_reason = reason
        report.status.next_wake_at = NOW + timedelta(hours=until_hours)
        return report

    reports = [
        update(7000, "waiting", "s1", entered="s1"),
        held("s2", "window", 1, 2),
        held("s2", "window", 2, 2),  # the same hold reported again
        held("s2", "quiet", 3, 3),  # then another reason at the same step
        update(7000, "waiting", "s3", late=4),
        held("s4", "pause", 5, 9),
        update(7000, "blocked", "s4", late=6),
        held("s4", "pause", 7, 9),  # after the end: nothing
    ]
    async with db.session() as session:
        await record_statuses(session, reports)
        await session.commit()
    async with db.reading() as session:
        holds = list(await session.exec(select(Hold).order_by(col(Hold.seq))))
    assert [(h.step_id, h.reason, h.since, h.until) for h in holds] == [
        ("s2", "window", NOW + timedelta(seconds=1), NOW + timedelta(hours=2)),
        ("s2", "quiet", NOW + timedelta(seconds=3), NOW + timedelta(hours=3)),
        ("s4", "pause", NOW + timedelta(seconds=5), NOW + timedelta(hours=9)),
    ]
    assert {h.enrollment_id for h in holds} == {update(7000).status.enrollment_id}


async def test_a_final_report_on_an_enrollment_ended_otherwise_answers_the_stores_end(db):
    """A workflow re-run after a signal may end `exited` where its first run's push recorded
    the completion: the store keeps its end and answers it, so the workflow can take it."""
    activities = StoreActivities(db)
    assert await activities.record_progress(update(3900, "sending", "basic")) is None
    assert await activities.record_progress(update(3900, "completed", "basic")) is None
    kept = await activities.record_progress(update(3900, "exited", "later", late=1))
    assert kept is not None and (kept.status, kept.step) == ("completed", "basic")
    assert await activities.record_progress(update(3900, "completed", "basic")) is None
    assert await activities.record_progress(update(3900, "waiting", "later")) is None  # live
    row = (await rows_of(db, [3900]))[user(3900)]
    assert (row.status, row.current_step) == ("completed", "basic")
