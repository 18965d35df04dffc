"""Recovery: LINE refuses a message step for good (a 400), the enrollment ends `failed`; once
the cause is fixed an admin retries it, and the friend gets that message exactly once, then
the rest of the path — the messages sent before it are not sent again."""

import asyncio

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from store.tables import Delivery
from tests.api.helpers import PUSHED
from tests.support.stack import user
from tests.workflows.test_failures import WELCOME, enrollment_row, scenario, text, wait

REFUSED = "The property, 'messages[0].text', in the request body is invalid"
PATH = scenario(
    WELCOME,
    wait("day", "P1D"),
    text("coupon", "Coupon"),
    wait("later", "P1D"),
    text("bye", "Bye"),
    **PUSHED,
)


async def test_a_failed_step_is_retried_once_then_the_enrollment_goes_on(any_stack):
    stack = any_stack
    scenario_id = await stack.scenario(PATH)
    friend = user(700)
    await stack.follow(friend)
    await stack.until_texts(friend, ["Welcome"])
    fault = {"status": 400, "message": REFUSED, "user_id": friend}
    assert (await stack.emu.post("/emulator/faults", json=fault)).status_code == 200
    failed = await stack.outcome(scenario_id, friend)
    assert (failed.status, failed.step) == ("failed", "coupon") and REFUSED in failed.error
    assert stack.emulator.calls["push"] == 2  # welcome, and the refused coupon: no loop
    enrollment_id = f"enrollment:{scenario_id}:{friend}:1"

    explain = (await stack.api.get(f"/friends/{friend}")).json()["enrollments"][0]["explain"]
    assert (explain["source"], explain["status"], explain["step"]) == ("store", "failed", "coupon")
    assert REFUSED in explain["error"]
    assert [(d["step"], d["status"]) for d in explain["deliveries"]] == [
        ("welcome", "sent"),
        ("coupon", "failed"),
    ]
    assert REFUSED in explain["deliveries"][1]["error"]
    stats = (await stack.api.get(f"/scenarios/{scenario_id}/stats")).json()
    assert (stats["failed"], stats["completed"], stats["messages_sent"]) == (1, 0, 1)

    # Temporal down: nothing changes, the enrollment stays failed
    url = f"/enrollments/{enrollment_id}/retry"
    services = stack.app.state.services
    live = services.temporal
    services.temporal = await Client.connect(
        "127.0.0.1:1", lazy=True, data_converter=pydantic_data_converter
    )
    try:
        down = await stack.api.post(url)
    finally:
        services.temporal = live
    assert down.status_code == 503 and "nothing changed" in down.json()["detail"]
    row = await enrollment_row(stack, scenario_id, friend)
    assert (row.status, row.current_step) == ("failed", "coupon") and REFUSED in row.error
    async with stack.db.session() as session:
        assert (await session.get(Delivery, (enrollment_id, "coupon"))).status == "failed"

    # the cause is fixed (the fault was used up); two admins click at once: one retry runs
    answers = await asyncio.gather(stack.api.post(url), stack.api.post(url))
    assert sorted(answer.status_code for answer in answers) == [202, 409], [
        answer.text for answer in answers
    ]
    accepted = next(answer.json() for answer in answers if answer.status_code == 202)
    assert (accepted["id"], accepted["status"], accepted["current_step"]) == (
        enrollment_id,
        "waiting",
        "coupon",
    )
    assert accepted["error"] is None and accepted["ended_at"] is None
    refused = next(answer.json() for answer in answers if answer.status_code == 409)
    assert "only a failed enrollment can be retried" in refused["detail"]

    done = await stack.outcome(scenario_id, friend)
    assert (done.status, done.sent) == ("completed", ["welcome", "coupon", "bye"])
    assert await stack.texts(friend) == ["Welcome", "Coupon", "Bye"]
    assert len(await stack.received(friend)) == 3  # LINE accepted each push once
    assert stack.emulator.calls["push"] == 4  # the coupon was pushed again exactly once

    again = await stack.api.post(url)
    assert again.status_code == 409
    assert again.json() == {
        "detail": "the enrollment is completed: only a failed enrollment can be retried"
    }
    row = await enrollment_row(stack, scenario_id, friend)
    assert (row.status, row.error) == ("completed", None) and row.ended_at is not None
    stats = (await stack.api.get(f"/scenarios/{scenario_id}/stats")).json()
    assert (stats["enrolled"], stats["failed"], stats["completed"]) == (1, 0, 1)
    assert stats["messages_sent"] == 3
    coupon = next(step for step in stats["steps"] if step["id"] == "coupon")
    assert (coupon["entered"], coupon["sent"], coupon["failed"]) == (1, 1, 0)
