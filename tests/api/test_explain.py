"""GET /friends/{user_id}: each enrollment explains why it is where it is, from the running
workflow's `status` query, or from the store when the enrollment is over or Temporal does not
answer."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from tests.api.helpers import scenario, text, wait
from tests.support.stack import user

WAITING = scenario(text("welcome", "Welcome"), wait("day", "P1D"), text("later", "Later"))


async def explained(stack, friend: str) -> dict:
    answer = await stack.api.get(f"/friends/{friend}")
    assert answer.status_code == 200, answer.text
    [enrollment] = answer.json()["enrollments"]
    assert {"id", "status", "current_step", "next_wake_at", "hold_reason"} <= set(enrollment)
    return enrollment["explain"]


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_a_waiting_enrollment_is_explained_from_its_workflow(stack):
    scenario_id = await stack.scenario(WAITING)
    friend = user(800)
    await stack.follow(friend)
    state = await stack.until_status(scenario_id, friend, "waiting", step="day")
    explain = await explained(stack, friend)
    assert explain["source"] == "workflow" and explain["source_note"] is None
    assert (explain["status"], explain["step"], explain["hold_reason"]) == ("waiting", "day", None)
    assert at(explain["next_wake_at"]) == state.next_wake_at
    entered = at(explain["last_step_entered_at"])
    assert state.next_wake_at - entered == timedelta(days=1)
    [welcome] = explain["deliveries"]
    pushes = await stack.received(friend)
    assert welcome["step"] == "welcome" and welcome["status"] == "sent"
    assert welcome["request_id"] == pushes[0]["request_id"] and welcome["error"] is None
    assert welcome["sent_at"] and welcome["planned_at"]
    assert explain["last_decision"] is None and explain["error"] is None


async def test_a_held_enrollment_says_why_and_until_when(stack):
    now = (await stack.env.get_current_time()).astimezone(ZoneInfo("Asia/Tokyo"))
    opens, closes = now + timedelta(hours=2), now + timedelta(hours=3)
    window = {"start": opens.strftime("%H:%M"), "end": closes.strftime("%H:%M")}
    scenario_id = await stack.scenario(scenario(text("hello", "Hello", window=window)))
    friend = user(801)
    await stack.follow(friend)
    await stack.until_status(scenario_id, friend, "held", step="hello")
    explain = await explained(stack, friend)
    assert (explain["source"], explain["status"], explain["hold_reason"]) == (
        "workflow",
        "held",
        "window",
    )
    assert timedelta(hours=1) < at(explain["next_wake_at"]) - now <= timedelta(hours=2)
    assert explain["deliveries"] == []


async def test_a_branch_decision_is_explained_with_the_facts_it_read(any_stack):
    stack = any_stack
    friend = user(802)
    await stack.api.put(f"/friends/{friend}/attributes", json={"plan": "gold", "age": 30})
    scenario_id = await stack.scenario(
        scenario(
            {
                "id": "plan",
                "type": "branch",
                "branches": [
                    {
                        "label": "vip",
                        "when": {"all": [{"tag": "vip"}, {"attribute": "age", "gte": 20}]},
                        "steps": [text("vip", "VIP")],
                    },
                    {
                        "label": "gold",
                        "when": {"attribute": "plan", "equals": "gold"},
                        "steps": [wait("gold-wait", "P7D"), text("gold", "Gold")],
                    },
                ],
                "otherwise": [text("other", "Other")],
            }
        )
    )
    await stack.follow(friend)
    await stack.until_status(scenario_id, friend, "waiting", step="gold-wait")
    explain = await explained(stack, friend)
    assert (explain["source"], explain["step"]) == ("workflow", "gold-wait")
    decision = explain["last_decision"]
    assert (decision["step"], decision["label"], decision["index"]) == ("plan", "gold", 1)
    # `all` stopped at the missing tag: the age was never read
    assert decision["inputs"] == {"tags": [], "attribute:plan": "gold"}
    assert decision["at"]


async def test_a_wait_for_decision_keeps_the_facts_it_read(stack):
    friend = user(803)
    await stack.api.post(f"/friends/{friend}/tags", json={"tags": ["member"]})
    scenario_id = await stack.scenario(
        scenario(
            {
                "id": "member",
                "type": "wait_for",
                "until": {"tag": "member"},
                "timeout": "P1D",
                "then": [wait("perks-wait", "P2D")],
                "on_timeout": [],
            }
        )
    )
    await stack.follow(friend)
    await stack.until_status(scenario_id, friend, "waiting", step="perks-wait")
    decision = (await explained(stack, friend))["last_decision"]
    assert (decision["step"], decision["label"]) == ("member", "then")
    assert decision["inputs"] == {"tags": ["member"]}


async def test_a_blocked_enrollment_is_explained_from_the_store(stack):
    scenario_id = await stack.scenario(WAITING)
    friend = user(804)
    await stack.follow(friend)
    await stack.until_status(scenario_id, friend, "waiting", step="day")
    await stack.unfollow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "blocked"
    explain = await explained(stack, friend)
    assert (explain["source"], explain["source_note"]) == ("store", None)
    assert (explain["status"], explain["step"]) == ("blocked", "day")
    assert [(d["step"], d["status"]) for d in explain["deliveries"]] == [("welcome", "sent")]


async def test_temporal_unreachable_falls_back_to_the_store(stack):
    scenario_id = await stack.scenario(WAITING)
    friend = user(805)
    await stack.follow(friend)
    state = await stack.until_status(scenario_id, friend, "waiting", step="day")
    services = stack.app.state.services
    live = services.temporal
    services.temporal = await Client.connect(
        "127.0.0.1:1", lazy=True, data_converter=pydantic_data_converter
    )
    try:
        answer = await stack.api.get(f"/friends/{friend}")
    finally:
        services.temporal = live
    assert answer.status_code == 200, answer.text
    explain = answer.json()["enrollments"][0]["explain"]
    assert explain["source"] == "store" and "unreachable" in explain["source_note"]
    assert (explain["status"], explain["step"]) == ("waiting", "day")
    assert at(explain["next_wake_at"]) == state.next_wake_at
    assert [(d["step"], d["status"]) for d in explain["deliveries"]] == [("welcome", "sent")]
