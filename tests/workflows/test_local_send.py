"""The fast path: a push is made as a local activity inside the workflow task that woke the
enrollment; when this worker's share of the push rate is used up (or LINE fails) the regular
activity takes it, and either way each message reaches LINE once."""

import uuid
from contextlib import AsyncExitStack

import pytest
from sqlmodel import select
from temporalio.api.enums.v1 import EventType
from temporalio.worker import UnsandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from core.config import load_settings
from line.client import LinePusher
from store.tables import Enrollment
from tests.support.stack import settings_for, user
from worker import create_worker

SCENARIO = {
    "name": "fast path",
    "trigger": {"type": "follow"},
    "steps": [
        {"id": "hello", "type": "message", "messages": [{"type": "text", "text": "hello"}]},
        {"id": "wait", "type": "wait", "duration": "PT1H"},
        {"id": "bye", "type": "message", "messages": [{"type": "text", "text": "bye"}]},
    ],
}


async def _journey(stack, number: int, **worker_options) -> list:
    """Follow with a worker of its own; the enrollment's history once it is over."""
    async with AsyncExitStack() as running:
        queue = f"fast-{uuid.uuid4().hex[:6]}"
        line = LinePusher.from_settings(stack.settings)
        running.push_async_callback(line.close)
        await running.enter_async_context(
            create_worker(
                stack.env.client, task_queue=queue, db=stack.db, line=line, **worker_options
            )
        )
        stack.dispatcher.commands.task_queue = queue
        scenario_id = await stack.scenario(SCENARIO)
        friend = user(number)
        await stack.follow(friend)
        assert (await stack.outcome(scenario_id, friend)).status == "completed"
        assert await stack.texts(friend) == ["hello", "bye"]
        history = await stack.enrollment(scenario_id, friend).fetch_history()
    return history.events


def _count(events, event_type) -> int:
    return sum(1 for event in events if event.event_type == event_type)


async def test_pushes_are_local_activities_with_no_activity_task(stack):
    events = await _journey(stack, 301)
    async with stack.db.reading() as session:  # the last push recorded the end with it
        row = (await session.exec(select(Enrollment).where(Enrollment.user_id == user(301)))).one()
    assert (row.status, row.current_step, row.next_wake_at) == ("completed", "bye", None)
    assert row.ended_at is not None
    assert _count(events, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) == 0
    markers = [
        event.marker_recorded_event_attributes.details
        for event in events
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
    ]
    assert len(markers) >= 2  # the two sends, among the store's local activities
    # StepStatus/StepCurrent are upserted where it waits and at the end, not per step passed;
    # a new start takes the patched changes as given (scenarios/runs.PROTOCOL): no patch's
    # marker, no TemporalChangeVersion upsert
    names = {
        event.marker_recorded_event_attributes.marker_name
        for event in events
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
    }
    assert names == {"core_local_activity"}  # local activities' results, no patch marker
    upserted = [
        set(
            event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        )
        for event in events
        if event.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
    ]
    assert upserted and all(fields == {"StepStatus", "StepCurrent"} for fields in upserted), (
        upserted
    )


async def test_a_used_up_push_budget_hands_the_push_to_the_regular_activity(stack):
    events = await _journey(stack, 302, push_rate=0.5)  # under one push: every local try refused
    assert _count(events, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) == 2
    assert _count(events, EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) == 2


async def test_tests_run_workflows_in_the_sandbox_and_production_may_not(ts_env, sqlite_url):
    """The suite's workers (create_worker's default) keep Temporal's sandbox, so a
    non-deterministic call in workflow code fails here; `python worker.py` follows
    STEPLINE_WORKFLOW_SANDBOX (default off: docs/PERFORMANCE.md)."""
    settings = settings_for(database_url=sqlite_url, line_api="http://127.0.0.1:9")
    line = LinePusher.from_settings(settings)
    try:
        tested = create_worker(ts_env.client, task_queue="sandbox", db=None, line=line)
        lean = create_worker(ts_env.client, task_queue="lean", db=None, line=line, sandboxed=False)
        assert isinstance(tested.config()["workflow_runner"], SandboxedWorkflowRunner)
        assert isinstance(lean.config()["workflow_runner"], UnsandboxedWorkflowRunner)
        assert tested.config()["max_cached_workflows"] == 2500
        assert tested.config()["workflow_task_poller_behavior"].maximum == 20
    finally:
        await line.close()
    assert load_settings(_env_file=None).workflow_sandbox is False


async def test_each_worker_s_local_push_budget_has_a_setting_of_its_own(ts_env, sqlite_url):
    """STEPLINE_WORKER_PUSH_RATE: with N workers, the channel's rate / N each; the task
    queue's limit (regular pushes) stays the channel's."""
    settings = settings_for(database_url=sqlite_url, line_api="http://127.0.0.1:9")
    line = LinePusher.from_settings(settings)
    try:
        shared = create_worker(ts_env.client, task_queue="budget-shared", db=None, line=line)
        split = create_worker(
            ts_env.client,
            task_queue="budget-split",
            db=None,
            line=line,
            push_rate=2000.0,
            local_push_rate=500.0,
        )
        assert split.config()["max_task_queue_activities_per_second"] == 2000.0
        assert _budget(split) == 500.0 and _budget(shared) == 2000.0
    finally:
        await line.close()


def _budget(worker) -> float:
    send = next(fn for fn in worker.config()["activities"] if fn.__name__ == "send_message_step")
    return send.__self__.budget.rate


def test_a_worker_push_rate_beyond_line_s_limit_is_refused(monkeypatch, capsys):
    monkeypatch.setenv("STEPLINE_WORKER_PUSH_RATE", "2001")
    with pytest.raises(SystemExit):
        load_settings(_env_file=None)
    assert "STEPLINE_WORKER_PUSH_RATE is invalid" in capsys.readouterr().err
