"""Bulk operations step by step: a process killed in the middle of one leaves it to the next
dispatcher, which goes on from where it was; what it signals a second time changes nothing."""

import asyncio
import json

import pytest

import triggers.bulk
from store.pipeline_tables import Outbox
from tests.api.helpers import scenario, text, wait
from tests.api.test_follow_transactions import expire_leases
from tests.support.pipeline import dispatcher_stopped
from tests.support.stack import user


async def controls(stack, scenario_id: str, friend: str) -> list[str]:
    """The control signals the enrollment's history holds: their actions, in order."""
    found = []
    async for event in stack.enrollment(scenario_id, friend).fetch_history_events():
        if event.HasField("workflow_execution_signaled_event_attributes"):
            signaled = event.workflow_execution_signaled_event_attributes
            if signaled.signal_name == "control":
                found.append(json.loads(signaled.input.payloads[0].data)["action"])
    return found


async def test_a_pause_killed_halfway_goes_on_from_where_it_was(stack, monkeypatch):
    scenario_id = await stack.scenario(scenario(text("hi", "Hi"), wait("w", "P1D"), text("x", "X")))
    friends = [user(7400 + n) for n in range(5)]
    for friend in friends:
        await stack.follow(friend)
    monkeypatch.setattr(triggers.bulk, "CHUNK", 2)
    async with dispatcher_stopped(stack):
        answer = await stack.api.post(f"/scenarios/{scenario_id}/pause")
        operation = answer.json()["operation"]
        assert operation["total"] == 5
        assert await stack.dispatcher.run_bulk() == 1  # the first two told
        assert (await stack.api.get(operation["url"])).json()["done"] == 2

        async def killed(*args, **kwargs):
            raise asyncio.CancelledError  # the process dies: nothing after this runs

        # the next two are told, then the process dies before it records so
        monkeypatch.setattr(triggers.bulk.operations, "advance", killed)
        with pytest.raises(asyncio.CancelledError):
            await stack.dispatcher.run_bulk()
        monkeypatch.undo()
        monkeypatch.setattr(triggers.bulk, "CHUNK", 2)
        assert (await stack.api.get(operation["url"])).json()["done"] == 2
        assert await stack.dispatcher.run_bulk() == 0  # still leased to the dead one
        await expire_leases(stack)
    await stack.settle()  # another dispatcher: from the last step recorded, on
    done = (await stack.api.get(operation["url"])).json()
    assert (done["status"], done["done"]) == ("done", 5)
    told = [await controls(stack, scenario_id, friend) for friend in friends]
    assert sorted(len(t) for t in told) == [1, 1, 1, 2, 2]  # two were told twice
    assert all(set(t) == {"pause"} for t in told)

    resumed = await stack.api.post(f"/scenarios/{scenario_id}/resume", params={"spread": "PT1S"})
    assert resumed.status_code == 202
    for friend in friends:  # the second pause changed nothing: one resume releases them all
        assert (await stack.outcome(scenario_id, friend)).status == "completed"
        assert await stack.texts(friend) == ["Hi", "X"]
    async with stack.db.reading() as session:
        assert (await session.exec(Outbox.__table__.select())).all() == []
