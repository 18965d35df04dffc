"""GET /friends/{user_id}/timeline: one friend's story in order, from the database and the
running workflow's `status` query."""

import asyncio
import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from tests.api.helpers import scenario, text, wait
from tests.support.stack import user

SALE = "https://shop.example/sale"


def story(window: dict) -> dict:
    """A sale message with a link; wait for a purchase; thank those who clicked (inside the
    delivery window); then a week's wait."""
    thanks = text("thanks", "Thanks for shopping", window=window)
    clicked = {
        "id": "did-click",
        "type": "branch",
        "branches": [
            {"label": "clicked", "when": {"clicked": "welcome"}, "steps": [thanks]},
        ],
        "otherwise": [],
    }
    return scenario(
        text("welcome", f"Sale today: {SALE}"),
        {
            "id": "buy",
            "type": "wait_for",
            "until": {"event": "purchase"},
            "timeout": "P1D",
            "then": [clicked, wait("later", "P7D")],
            "on_timeout": [],
        },
    )


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def until_entry(stack, friend: str, kind: str, step: str | None, timeout=10.0) -> None:
    """Until the timeline has this entry: the store is written just after the workflow moves
    (which is what its `status` query answers)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        body = (await stack.api.get(f"/friends/{friend}/timeline")).json()
        if any((e["kind"], e["step_id"]) == (kind, step) for e in body["entries"]):
            return
        assert asyncio.get_running_loop().time() < deadline, body
        await asyncio.sleep(0.05)


async def timeline(stack, friend: str, **params) -> dict:
    answer = await stack.api.get(f"/friends/{friend}/timeline", params=params)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    moments = [at(entry["at"]) for entry in body["entries"]]
    assert moments == sorted(moments)
    return body


def steps_of(body: dict) -> list[tuple]:
    """(kind, step, status or label or reason) of each entry."""
    return [
        (e["kind"], e["step_id"], e["status"] or e["label"] or e["reason"]) for e in body["entries"]
    ]


async def test_a_friends_story_in_order_with_the_live_hold(fresh_stack):
    # a time-skipping server of its own, whose clock no earlier test has moved on: clicks and
    # events carry the real time, steps the workflow's
    stack = fresh_stack
    now = (await stack.env.get_current_time()).astimezone(ZoneInfo("Asia/Tokyo"))
    opens, closes = now + timedelta(hours=2), now + timedelta(hours=3)
    window = {"start": opens.strftime("%H:%M"), "end": closes.strftime("%H:%M")}
    scenario_id = await stack.scenario(story(window))
    friend = user(900)
    eid = f"enrollment:{scenario_id}:{friend}:1"

    await stack.follow(friend)
    await stack.until_status(scenario_id, friend, "waiting", step="buy")
    [push] = await stack.received(friend)
    [link] = re.findall(r"/r/[A-Za-z0-9_\-]+", push["messages"][0]["text"])
    clicked = await stack.api.get(link, headers={"Authorization": "", "User-Agent": "Line/14.0"})
    assert clicked.status_code == 302 and clicked.headers["location"] == SALE
    bought = await stack.api.post(
        "/events", json={"user_id": friend, "name": "purchase", "properties": {"amount": 4800}}
    )
    assert bought.status_code == 201, bought.text
    held = await stack.until_status(scenario_id, friend, "held", step="thanks")
    await until_entry(stack, friend, "step_entered", "thanks")

    body = await timeline(stack, friend)
    assert (body["user_id"], body["following"], body["truncated"]) == (friend, True, False)
    assert steps_of(body) == [
        ("follow", None, None),
        ("enrolled", None, None),
        ("step_entered", "welcome", None),
        ("sent", "welcome", "sent"),
        ("step_entered", "buy", None),
        ("click", "welcome", None),
        ("event", None, None),
        ("decision", "buy", "then"),
        ("step_entered", "did-click", None),
        ("decision", "did-click", "clicked"),
        ("step_entered", "thanks", None),
        ("held", "thanks", "window"),
    ]
    entries = body["entries"]
    assert entries[0]["detail"]["is_unblocked"] is False
    assert {e["enrollment_id"] for e in entries[1:]} - {None} == {eid}
    assert entries[3]["detail"]["request_id"] == push["request_id"]
    assert entries[5]["detail"] == {"url": SALE, "user_agent": "Line/14.0"}
    assert entries[5]["enrollment_id"] == eid
    assert entries[6]["detail"]["name"] == "purchase"
    assert entries[6]["detail"]["properties"] == {"amount": 4800}
    assert entries[9]["detail"]["inputs"] == {"clicked:welcome": True}
    live_hold = entries[11]
    assert live_hold["detail"] == {"live": True, "source": "workflow"}
    assert at(live_hold["until"]) == held.next_wake_at
    assert timedelta(hours=1) < held.next_wake_at - now <= timedelta(hours=2)
    [state] = body["now"]
    assert (state["source"], state["status"], state["step"], state["hold_reason"]) == (
        "workflow",
        "held",
        "thanks",
        "window",
    )
    assert state["enrollment_id"] == eid and at(state["next_wake_at"]) == held.next_wake_at

    # the newest entries only
    last = await timeline(stack, friend, limit=3)
    assert last["truncated"] is True
    assert [e["kind"] for e in last["entries"]] == ["decision", "step_entered", "held"]

    # Temporal away: the row says the same, and why it was read
    services = stack.app.state.services
    live = services.temporal
    services.temporal = await Client.connect(
        "127.0.0.1:1", lazy=True, data_converter=pydantic_data_converter
    )
    try:
        fallback = await timeline(stack, friend)
    finally:
        services.temporal = live
    [state] = fallback["now"]
    assert state["source"] == "store" and "unreachable" in state["source_note"]
    assert (state["status"], state["hold_reason"]) == ("held", "window")
    assert fallback["entries"][-1]["detail"] == {"live": True, "source": "store"}

    # the window opens: the hold is history, with how long it lasted
    await stack.env.sleep(timedelta(hours=2))
    await stack.until_status(scenario_id, friend, "waiting", step="later")
    await until_entry(stack, friend, "step_entered", "later")
    body = await timeline(stack, friend)
    assert steps_of(body)[10:] == [
        ("step_entered", "thanks", None),
        ("held", "thanks", "window"),
        ("sent", "thanks", "sent"),
        ("step_entered", "later", None),
    ]
    past_hold, sent = body["entries"][11:13]
    assert past_hold["detail"]["live"] is False
    # recorded when the hold began: until the window opens; the push right after that
    assert past_hold["detail"] == {"live": False, "source": "store"}
    assert at(sent["at"]) == at(sent["detail"]["planned_at"])
    assert timedelta(0) <= at(sent["at"]) - at(past_hold["until"]) < timedelta(seconds=1)
    assert (
        at(past_hold["until"]).astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M")
        == (window["start"])
    )
    [state] = body["now"]
    assert (state["status"], state["step"], state["hold_reason"]) == ("waiting", "later", None)

    # blocks (LINE's clock where the workflow's is: time was skipped)
    virtual = (await stack.env.get_current_time()).timestamp() - time.time()
    stack.emulator.clock = lambda: time.time() + virtual
    await stack.unfollow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "blocked"
    await until_entry(stack, friend, "enrollment_ended", "later")
    body = await timeline(stack, friend)
    assert body["following"] is False and body["now"] == []
    assert steps_of(body)[-3:] == [
        ("step_entered", "later", None),
        ("block", None, None),
        ("enrollment_ended", "later", "blocked"),
    ]


async def test_a_friend_without_webhooks_shows_the_rows_moments(any_stack):
    stack = any_stack
    scenario_id = await stack.scenario(scenario(text("hi", "Hi")))
    friend = user(901)
    await stack.follow_many([friend])  # as an import or a replay would: no webhook on record
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    await until_entry(stack, friend, "enrollment_ended", "hi")
    body = await timeline(stack, friend)
    assert steps_of(body) == [
        ("follow", None, None),
        ("enrolled", None, None),
        ("step_entered", "hi", None),
        ("sent", "hi", "sent"),
        ("enrollment_ended", "hi", "completed"),
    ]
    assert body["entries"][0]["detail"] == {"source": "friend"}
    assert body["now"] == []


async def test_an_unknown_friend_is_404_and_a_bad_limit_422(stack):
    missing = await stack.api.get(f"/friends/{user(902)}/timeline")
    assert missing.status_code == 404 and missing.json()["detail"] == f"no friend {user(902)}"
    friend = user(903)
    await stack.api.put(f"/friends/{friend}/attributes", json={"plan": "gold"})
    empty = await timeline(stack, friend)
    assert (empty["entries"], empty["now"], empty["following"]) == ([], [], False)
    for limit in ("0", "5001", "many"):
        answer = await stack.api.get(f"/friends/{friend}/timeline", params={"limit": limit})
        assert answer.status_code == 422, (limit, answer.text)
        assert "limit" in answer.text
    bad = await stack.api.get("/friends/not-a-user/timeline")
    assert bad.status_code == 422
    refused = await stack.api.get(f"/friends/{friend}/timeline", headers={"Authorization": ""})
    assert refused.status_code == 401


def line_clock_at_workflow_time(stack, offset: float) -> None:
    """LINE's webhook timestamps where the workflows' clock is (time-skipping moves it on)."""
    stack.emulator.clock = lambda: time.time() + offset


async def test_steps_skipped_while_blocked_come_from_the_finished_workflow(stack):
    scenario_id = await stack.scenario(
        scenario(
            text("m1", "One"),
            wait("d1", "P1D"),
            text("m2", "Two"),
            wait("d2", "P1D"),
            text("m3", "Three"),
            on_unblock="resume",
            resume_grace="PT12H",
        )
    )
    friend = user(904)
    offset = (await stack.env.get_current_time()).timestamp() - time.time()
    line_clock_at_workflow_time(stack, offset)
    await stack.follow(friend)
    await stack.until_status(scenario_id, friend, "waiting", step="d1")
    await stack.unfollow(friend)
    await stack.env.sleep(timedelta(days=1, hours=13))  # `m2` fell due 13 hours ago
    offset = (await stack.env.get_current_time()).timestamp() - time.time()
    line_clock_at_workflow_time(stack, offset)
    await stack.follow(friend)
    ended = await stack.outcome(scenario_id, friend)
    assert (ended.status, ended.skipped) == ("completed", ["m2"])
    await until_entry(stack, friend, "enrollment_ended", "m3")

    body = await timeline(stack, friend)
    assert body["now"] == []
    assert steps_of(body) == [
        ("follow", None, None),
        ("enrolled", None, None),
        ("step_entered", "m1", None),
        ("sent", "m1", "sent"),
        ("step_entered", "d1", None),
        ("block", None, None),
        ("step_entered", "m2", None),
        ("held", "m2", "blocked"),  # parked while blocked (on_unblock: resume)
        (
            "skipped",
            "m2",
            "fell due while the friend had blocked the account, and the grace had passed",
        ),
        ("step_entered", "d2", None),
        ("follow", None, None),
        ("step_entered", "m3", None),
        ("sent", "m3", "sent"),
        ("enrollment_ended", "m3", "completed"),
    ]
    follows = [e["detail"]["is_unblocked"] for e in body["entries"] if e["kind"] == "follow"]
    assert follows == [False, True]
