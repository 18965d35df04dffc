"""Free first messages (issue 22): a first message due at once after the follow, keyword
message or postback that started the enrollment goes as LINE's reply to it — not counted in
the plan — and whatever LINE answers, the friend never gets it twice."""

from datetime import timedelta

import pytest
from sqlmodel import select

from activities import replying
from core import metrics
from emulator import reply_tokens
from store.tables import Delivery, WebhookEvent
from tests.support.stack import user
from tests.workflows.test_failures import WELCOME, scenario, text, wait


async def rows(stack, user_id: str) -> dict[str, Delivery]:
    async with stack.db.session() as session:
        found = await session.exec(select(Delivery).where(Delivery.user_id == user_id))
        return {row.step_id: row for row in found}


def via(received: list[dict]) -> list[tuple[str, str]]:
    """(first text, via) of each request LINE accepted for a friend, in order."""
    return [(r["messages"][0].get("text", r["messages"][0]["type"]), r["via"]) for r in received]


def replies_counted(outcome: str) -> float:
    return metrics.REPLIES.labels(outcome=outcome)._value.get()


async def test_a_follow_scenarios_welcome_goes_as_a_reply_and_the_plan_does_not_move(stack):
    scenario_id = await stack.scenario(
        scenario(WELCOME, wait("day", "P1D"), text("later", "See you"))
    )
    await stack.emu.put("/emulator/quota", json={"monthly_quota": 1000, "consumption": 0})
    friend = user(900)
    sent_before = replies_counted("sent")
    await stack.follow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    received = await stack.received(friend)
    assert via(received) == [("Welcome", "reply"), ("See you", "push")]
    assert received[0]["retry_key"] is None  # LINE's reply takes none
    quota = (await stack.emu.get("/emulator/quota")).json()
    assert quota["consumption"] == 1  # the push only
    found = await rows(stack, friend)
    assert (found["welcome"].via, found["welcome"].status) == ("reply", "sent")
    assert found["welcome"].request_id == received[0]["request_id"]
    assert (found["later"].via, found["later"].status) == ("push", "sent")
    assert replies_counted("sent") == sent_before + 1
    stats = (await stack.api.get(f"/scenarios/{scenario_id}/stats")).json()
    assert (stats["messages_sent"], stats["replies"]) == (2, 1)
    by_step = {step["id"]: step for step in stats["steps"]}
    assert (by_step["welcome"]["replies"], by_step["later"]["replies"]) == (1, 0)
    timeline = (await stack.api.get(f"/friends/{friend}/timeline")).json()
    sends = [e for e in timeline["entries"] if e["kind"] == "sent"]
    assert {e["step_id"]: e["detail"]["via"] for e in sends} == {
        "welcome": "reply",
        "later": "push",
    }


async def test_the_reply_goes_out_even_when_the_plan_is_used_up(stack):
    scenario_id = await stack.scenario(scenario(WELCOME))
    await stack.emu.put("/emulator/quota", json={"monthly_quota": 0})
    friend = user(901)
    await stack.follow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert via(await stack.received(friend)) == [("Welcome", "reply")]


async def test_a_token_answers_once_two_follow_scenarios_one_reply_one_push(stack):
    first = await stack.scenario(scenario(text("a", "Hello from A")))
    second = await stack.scenario(scenario(text("b", "Hello from B")))
    friend = user(902)
    await stack.follow(friend)
    for scenario_id in (first, second):
        assert (await stack.outcome(scenario_id, friend)).status == "completed"
    received = await stack.received(friend)
    assert sorted(r["via"] for r in received) == ["push", "reply"]
    assert sorted(t for t, _ in via(received)) == ["Hello from A", "Hello from B"]
    async with stack.db.session() as session:
        [event] = await session.exec(select(WebhookEvent).where(WebhookEvent.user_id == friend))
    replied = next(row for row in (await rows(stack, friend)).values() if row.via == "reply")
    assert event.reply_claimed_by == replied.enrollment_id


async def test_a_keyword_and_a_postback_are_answered_with_a_reply(stack):
    keyword = await stack.scenario(
        {
            "name": "menu",
            "trigger": {"type": "keyword", "keywords": ["menu"]},
            "steps": [text("menu", "Today's menu")],
        }
    )
    tapped = await stack.scenario(
        {
            "name": "coupon",
            "trigger": {"type": "event", "event": "postback", "properties": {"data": "coupon"}},
            "steps": [text("coupon", "Your coupon")],
        }
    )
    friend = user(903)
    await stack.follow(friend)
    await stack.emu.post(f"/emulator/users/{friend}/message", json={"text": "menu please"})
    await stack.settle()
    assert (await stack.outcome(keyword, friend)).status == "completed"
    await stack.emu.post(f"/emulator/users/{friend}/postback", json={"data": "coupon"})
    await stack.settle()
    assert (await stack.outcome(tapped, friend)).status == "completed"
    assert via(await stack.received(friend)) == [
        ("Today's menu", "reply"),
        ("Your coupon", "reply"),
    ]


async def test_no_reply_after_a_wait_nor_when_the_scenario_turns_it_off(stack):
    waits = await stack.scenario(scenario(wait("moment", "PT1M"), text("late", "After a minute")))
    off = await stack.scenario(scenario(text("pushed", "Pushed"), reply_first=False))
    friend = user(904)
    await stack.follow(friend)
    for scenario_id in (waits, off):
        assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert sorted(via(await stack.received(friend))) == [
        ("After a minute", "push"),
        ("Pushed", "push"),
    ]
    definition = (await stack.api.get(f"/scenarios/{off}")).json()
    assert definition["definition"]["reply_first"] is False


async def test_a_message_held_by_its_window_is_pushed_when_the_window_opens(stack):
    now = await stack.env.get_current_time()
    hour = (now + timedelta(hours=3)).strftime("%H")
    closed = {"start": f"{hour}:00", "end": f"{hour}:30"}  # opens in a few hours
    held = {**text("held", "Good morning"), "window": closed}
    scenario_id = await stack.scenario(scenario(held, timezone="UTC"))
    friend = user(905)
    await stack.follow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert via(await stack.received(friend)) == [("Good morning", "push")]


async def test_a_token_line_refuses_falls_back_to_the_push_with_its_retry_key(stack):
    scenario_id = await stack.scenario(scenario(WELCOME))
    await stack.emu.post(
        "/emulator/faults",
        json={"status": 400, "message": "Invalid reply token", "endpoints": ["reply"]},
    )
    friend = user(906)
    refused_before = replies_counted("refused")
    await stack.follow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    received = await stack.received(friend)
    assert via(received) == [("Welcome", "push")] and received[0]["retry_key"]
    row = (await rows(stack, friend))["welcome"]
    assert (row.via, row.status, row.retry_key) == ("push", "sent", received[0]["retry_key"])
    assert replies_counted("refused") == refused_before + 1


async def test_an_expired_token_is_refused_by_line_and_the_message_pushed(
    stack, monkeypatch: pytest.MonkeyPatch
):
    # LINE's minute is over the moment a token is issued; stepline still tries it
    monkeypatch.setattr(reply_tokens, "REPLY_TOKEN_LIFETIME", 0.0)
    scenario_id = await stack.scenario(scenario(WELCOME))
    friend = user(907)
    refused_before = replies_counted("refused")
    await stack.follow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert via(await stack.received(friend)) == [("Welcome", "push")]
    assert replies_counted("refused") == refused_before + 1


async def test_a_lost_answer_is_recorded_and_never_pushed_again(stack):
    scenario_id = await stack.scenario(scenario(WELCOME, text("next", "And then")))
    await stack.emu.post(
        "/emulator/faults", json={"accept_then_drop": True, "endpoints": ["reply"]}
    )
    friend = user(908)
    lost_before = replies_counted("lost")
    await stack.follow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    # LINE took the reply; its answer never came: not pushed again, and the scenario goes on
    assert via(await stack.received(friend)) == [("Welcome", "reply"), ("And then", "push")]
    row = (await rows(stack, friend))["welcome"]
    assert (row.via, row.status) == ("reply", "unconfirmed")
    assert "not pushed" in row.error
    assert replies_counted("lost") == lost_before + 1


async def test_a_5xx_answer_to_a_reply_is_never_pushed_either(stack):
    scenario_id = await stack.scenario(scenario(WELCOME, text("next", "And then")))
    await stack.emu.post("/emulator/faults", json={"status": 500, "endpoints": ["reply"]})
    friend = user(909)
    await stack.follow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert via(await stack.received(friend)) == [("And then", "push")]
    assert (await rows(stack, friend))["welcome"].status == "unconfirmed"


async def test_a_token_too_old_to_try_is_not_tried(stack, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(replying, "REPLY_WITHIN", timedelta(seconds=-1))
    scenario_id = await stack.scenario(scenario(WELCOME))
    friend = user(910)
    late_before, calls_before = replies_counted("late"), stack.emulator.calls["reply"]
    await stack.follow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert via(await stack.received(friend)) == [("Welcome", "push")]
    assert stack.emulator.calls["reply"] == calls_before  # LINE was not asked
    assert replies_counted("late") == late_before + 1
