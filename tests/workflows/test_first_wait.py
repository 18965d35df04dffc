"""A scenario that begins with a wait: the admission writes that wait with the enrollment row
(its step, its wake, its step entry), and the workflow's first task only starts the timer —
no local activity, nothing recorded twice; the wait counts from the follow."""

import asyncio
from datetime import UTC, datetime, timedelta

from sqlmodel import select
from temporalio.api.enums.v1 import EventType

from scenarios.definition import ScenarioDefinition
from scenarios.runs import first_wait
from store.tables import Enrollment, Scenario, StepEntry
from tests.support.stack import user
from triggers.enrol import handed_wait
from workflows.enrollment import EnrollmentWorkflow

WAIT_FIRST = {
    "name": "wait first",
    "trigger": {"type": "follow"},
    "steps": [
        {"id": "later", "type": "wait", "duration": "P1D"},
        {"id": "hello", "type": "message", "messages": [{"type": "text", "text": "Hello"}]},
    ],
}


def _utc(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _row(stack, friend: str) -> Enrollment:
    async with stack.db.reading() as session:
        return (await session.exec(select(Enrollment).where(Enrollment.user_id == friend))).one()


async def test_a_first_wait_is_written_with_the_enrollment_and_not_again(stack):
    scenario_id = await stack.scenario(WAIT_FIRST)
    friend = user(501)
    await stack.follow(friend)
    row = await _row(stack, friend)
    assert (row.status, row.current_step) == ("waiting", "later")
    assert _utc(row.next_wake_at) == _utc(row.started_at) + timedelta(days=1)
    handle = stack.enrollment(scenario_id, friend)
    assert (await handle.query(EnrollmentWorkflow.status)).next_wake_at == _utc(row.next_wake_at)

    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == ["Hello"]
    history = await handle.fetch_history()
    first_task = []
    for event in history.events[3:]:  # after started, scheduled, started: the first task's
        if event.event_type == EventType.EVENT_TYPE_TIMER_FIRED:
            break
        first_task.append(event.event_type)
    assert EventType.EVENT_TYPE_MARKER_RECORDED not in first_task  # no local activity
    assert EventType.EVENT_TYPE_TIMER_STARTED in first_task
    async with stack.db.reading() as session:
        entries = (
            await session.exec(
                select(StepEntry.step_id, StepEntry.entered_at).where(
                    StepEntry.enrollment_id == row.id
                )
            )
        ).all()
    assert sorted(step for step, _ in entries) == ["hello", "later"]  # each once
    assert [_utc(at) for step, at in entries if step == "later"] == [_utc(row.started_at)]


async def test_a_paused_scenarios_first_wait_is_the_workflows_to_report(stack):
    scenario_id = await stack.scenario(WAIT_FIRST)
    assert (await stack.api.post(f"/scenarios/{scenario_id}/pause")).status_code == 202
    friend = user(502)
    await stack.follow(friend)
    handle = stack.enrollment(scenario_id, friend)
    async with asyncio.timeout(20):
        while True:
            kinds = [e.event_type for e in (await handle.fetch_history()).events]
            if EventType.EVENT_TYPE_TIMER_STARTED in kinds:
                break
            await asyncio.sleep(0.1)
    # its first task reported the wait itself (a local activity's marker before the timer)
    assert EventType.EVENT_TYPE_MARKER_RECORDED in kinds
    assert (await handle.query(EnrollmentWorkflow.status)).step == "later"


async def test_a_start_long_after_the_admission_reports_the_workflows_own_wake(stack):
    """Temporal away for a while (here: the test server's clock days ahead): the wait the
    admission wrote is not the workflow's; it reports its own, and the store says that."""
    scenario_id = await stack.scenario(WAIT_FIRST)
    await stack.env.sleep(timedelta(days=3))
    friend = user(503)
    await stack.follow(friend)
    handle = stack.enrollment(scenario_id, friend)
    async with asyncio.timeout(20):
        while (row := await _row(stack, friend)).next_wake_at is None or _utc(
            row.next_wake_at
        ) < _utc(row.started_at) + timedelta(days=2):
            await asyncio.sleep(0.1)
    assert (await handle.query(EnrollmentWorkflow.status)).next_wake_at == _utc(row.next_wake_at)


def test_an_until_first_wait_is_handed_over_whatever_the_rows_clock_says():
    """SQLite gives the row's times back without their offset; an `until` wait compares them
    with an aware moment. A date attribute's wait is the workflow's to read."""
    until = datetime(2030, 1, 1, 1, 0, tzinfo=UTC)
    definition = ScenarioDefinition.model_validate(
        {**WAIT_FIRST, "steps": [{"id": "u", "type": "wait", "until": until.isoformat()}]}
    )
    for started in (datetime(2029, 1, 1), datetime(2029, 1, 1, tzinfo=UTC)):
        row = Enrollment(
            id="e", scenario_id="s", version=1, user_id=user(1), epoch=1, status="waiting",
            current_step="u", next_wake_at=until.replace(tzinfo=None), started_at=started,
            updated_at=started,
        )  # fmt: skip
        handed = handed_wait(row, Scenario(id="s", name="n", status="active"), definition)
        assert handed is not None and (handed.step_id, handed.wake) == ("u", until)
    dated = ScenarioDefinition.model_validate(
        {**WAIT_FIRST, "steps": [{"id": "d", "type": "wait", "until": {"attribute": "birthday"}}]}
    )
    assert first_wait(dated, until) is None
