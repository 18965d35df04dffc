"""A branch whose way begins with a message due now decides and pushes in one local activity
(`branch_and_send`), and the last push records the enrollment completed: after the wake-up's
timer, one activity and no other. Its failures fall back to the usual push, once at LINE."""

import asyncio
from datetime import timedelta

from temporalio.api.enums.v1 import EventType

from store.tables import Friend
from tests.api.helpers import PUSHED, scenario, text, wait
from tests.support.stack import user
from tests.workflows.test_failures import enrollment_row

BRANCH = {
    "id": "plan",
    "type": "branch",
    "branches": [
        {
            "label": "gold",
            "when": {"attribute": "plan", "equals": "gold"},
            "steps": [text("gold", "Gold"), text("gold-2", "Gold again")],
        }
    ],
    "otherwise": [text("basic", "Hello")],
}


async def test_the_branch_pushes_its_ways_first_message_and_completes_with_it(stack):
    scenario_id = await stack.scenario(scenario(wait("later", "PT1H"), BRANCH, **PUSHED))
    friend = user(401)
    await stack.follow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == ["Hello"]
    summaries = await stack.summaries(scenario_id, friend)
    # after the wait: the branch and its push in one local activity, then nothing else
    assert summaries[-1] == "branch plan: 1 condition(s), then its message"
    assert not any(s.startswith(("send basic", "record completed")) for s in summaries)
    row = await enrollment_row(stack, scenario_id, friend)
    assert (row.status, row.current_step) == ("completed", "basic")
    events = [e async for e in stack.enrollment(scenario_id, friend).fetch_history_events()]
    assert not any(e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED for e in events)


async def test_a_way_with_more_steps_goes_on_after_the_pushed_message(stack):
    scenario_id = await stack.scenario(scenario(wait("later", "PT1H"), BRANCH, **PUSHED))
    friend = user(402)
    await stack.follow(friend)
    await stack.until_enrolled(scenario_id, friend)
    async with stack.db.session() as session:  # a gold friend
        row = await session.get(Friend, friend)
        assert row is not None
        row.attributes = {"plan": "gold"}
        session.add(row)
        await session.commit()
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == ["Gold", "Gold again"]
    summaries = await stack.summaries(scenario_id, friend)
    assert "branch plan: 1 condition(s), then its message" in summaries
    assert summaries[-1] == "send gold-2 (1 message(s)), then completed"


async def test_line_failing_the_branchs_push_hands_it_to_the_regular_activity(stack):
    scenario_id = await stack.scenario(scenario(wait("later", "PT1H"), BRANCH, **PUSHED))
    friend = user(403)
    await stack.follow(friend)
    await stack.until_enrolled(scenario_id, friend)
    await stack.emu.post("/emulator/faults", json={"status": 500, "times": 2})
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == ["Hello"]
    assert len(await stack.received(friend)) == 1  # once at LINE: the same retry key
    events = [e async for e in stack.enrollment(scenario_id, friend).fetch_history_events()]
    assert any(e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED for e in events)
    assert (await enrollment_row(stack, scenario_id, friend)).status == "completed"


async def test_the_monthly_limit_in_the_branchs_push_holds_it_for_the_quota(stack):
    scenario_id = await stack.scenario(scenario(wait("later", "PT1H"), BRANCH, **PUSHED))
    friend = user(404)
    await stack.follow(friend)
    await stack.until_enrolled(scenario_id, friend)
    await stack.emu.put("/emulator/quota", json={"monthly_quota": 0})
    await stack.env.sleep(timedelta(hours=1, minutes=5))
    status = await stack.status(scenario_id, friend)
    assert (status.status, status.hold_reason, status.step) == ("held", "quota", "basic")
    await stack.emu.put("/emulator/quota", json={"monthly_quota": 1000})
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == ["Hello"]


async def test_a_way_whose_message_is_outside_its_window_is_decided_alone(stack):
    held = {**text("basic", "Hello"), "window": {"start": "03:00", "end": "03:01"}}
    gold = {**BRANCH["branches"][0], "steps": [wait("a-day", "P1D")]}
    branch = {**BRANCH, "branches": [gold], "otherwise": [held]}
    scenario_id = await stack.scenario(scenario(wait("later", "PT1H"), branch, **PUSHED))
    friend = user(405)
    await stack.follow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == ["Hello"]
    summaries = await stack.summaries(scenario_id, friend)
    # no way's message would go now (a wait, a window that is shut): the decision alone
    assert "branch plan: 1 condition(s)" in summaries
    assert any(s.startswith("hold basic: window until ") for s in summaries)


async def test_an_exit_while_the_last_push_is_at_line_leaves_store_and_workflow_agreeing(stack):
    """The exit's signal may land while the branch's push of the last message is at LINE
    (slowed here). Whichever way it falls, the message went out at most once, the store says
    completed exactly when it went out, and the workflow's end says what the store says.
    (A signal landing during that workflow task makes Temporal refuse the task's completion:
    the workflow is re-run from the signal and would end exited, but the first run's push
    recorded the completion; the final report answers the store's end and the workflow
    takes it.)"""
    definition = scenario(wait("later", "PT1H"), BRANCH, exit=[{"event": "bought"}], **PUSHED)
    scenario_id = await stack.scenario(definition)
    friend = user(406)
    await stack.follow(friend)
    await stack.until_enrolled(scenario_id, friend)
    await stack.emu.post("/emulator/faults", json={"delay_seconds": 2, "times": 1})
    await stack.env.sleep(timedelta(hours=1))
    await asyncio.sleep(0.5)
    await stack.api.post("/events", json={"user_id": friend, "name": "bought"})
    outcome = await stack.outcome(scenario_id, friend)
    row = await enrollment_row(stack, scenario_id, friend)
    assert row.status in ("completed", "exited") and outcome.status == row.status
    texts = await stack.texts(friend)
    assert texts == (["Hello"] if row.status == "completed" else [])
    assert len(await stack.received(friend)) == len(texts)
