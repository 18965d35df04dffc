"""Every way an enrollment can go wrong, on the time-skipping server: blocks, duplicate and
redelivered webhooks, LINE 5xx / 429 / 409 / 4xx, the monthly quota, pause, end, the cap."""

from datetime import timedelta

from sqlmodel import select

from store.tables import Delivery, Enrollment
from tests.api.helpers import PUSHED, scenario, text, wait
from tests.support.stack import running_stack, user

WELCOME = {"id": "welcome", "type": "message", "messages": [{"type": "text", "text": "Welcome"}]}
__all__ = ["PUSHED", "WELCOME", "enrollment_row", "scenario", "text", "wait"]  # other tests' too


async def enrollment_row(stack, scenario_id: str, user_id: str, epoch: int = 1) -> Enrollment:
    async with stack.db.session() as session:
        return await session.get(Enrollment, f"enrollment:{scenario_id}:{user_id}:{epoch}")


async def test_block_mid_wait_stops_everything(stack):
    scenario_id = await stack.scenario(
        scenario(WELCOME, wait("week", "P7D"), text("later", "Later"))
    )
    friend = user(10)
    await stack.follow(friend)
    await stack.until_texts(friend, ["Welcome"])
    await stack.env.sleep(timedelta(days=2))
    status = await stack.status(scenario_id, friend)
    assert (status.status, status.step) == ("waiting", "week")

    await stack.unfollow(friend)
    result = await stack.outcome(scenario_id, friend)
    assert result.status == "blocked"
    await stack.env.sleep(timedelta(days=10))
    assert await stack.texts(friend) == ["Welcome"]
    assert (await enrollment_row(stack, scenario_id, friend)).status == "blocked"


async def test_unblock_restarts_from_the_first_step(stack):
    scenario_id = await stack.scenario(
        scenario(WELCOME, wait("day", "P1D"), text("later", "Later"))
    )
    friend = user(11)
    await stack.follow(friend)
    await stack.until_texts(friend, ["Welcome"])
    await stack.unfollow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "blocked"
    answer = await stack.follow(friend)
    assert answer["event"]["follow"]["isUnblocked"] is True
    assert (await stack.outcome(scenario_id, friend, epoch=2)).status == "completed"
    assert await stack.texts(friend) == ["Welcome", "Welcome", "Later"]


async def test_duplicate_and_redelivered_webhooks_enrol_once(stack):
    scenario_id = await stack.scenario(scenario(WELCOME))
    friend = user(12)
    first = await stack.follow(friend)
    event = first["event"]
    redelivered = {**event, "deliveryContext": {"isRedelivery": True}}
    another_id = {
        **event,
        "webhookEventId": "01JZZZZZZZZZZZZZZZZZZZZZZZ",
        "timestamp": event["timestamp"] + 1,
    }
    for events in ([event], [redelivered], [event, event], [another_id]):
        answer = (await stack.emu.post("/emulator/webhooks", json={"events": events})).json()
        assert answer["webhook_status"] == 200
    await stack.settle()
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == ["Welcome"]
    async with stack.db.session() as session:
        rows = (await session.exec(select(Enrollment).where(Enrollment.user_id == friend))).all()
    assert [row.id for row in rows] == [f"enrollment:{scenario_id}:{friend}:1"]


async def test_unfollow_older_than_follow_is_ignored_and_newer_unfollow_first_wins(stack):
    scenario_id = await stack.scenario(scenario(WELCOME))
    early, late = user(13), user(14)
    # unfollow stamped before the follow arrives after it: the friend still follows
    followed = await stack.follow(early)
    stale = {
        **followed["event"],
        "type": "unfollow",
        "webhookEventId": "01JSTALE0000000000000000000",
        "timestamp": followed["event"]["timestamp"] - 1000,
    }
    stale.pop("follow"), stale.pop("replyToken")
    await stack.emu.post("/emulator/webhooks", json={"events": [stale]})
    await stack.settle()
    assert (await stack.outcome(scenario_id, early)).status == "completed"
    # the unfollow arrives first, the (older) follow after it: nobody is enrolled
    now_ms = followed["event"]["timestamp"]
    unfollow = {
        **stale,
        "webhookEventId": "01JLATEUNFOLLOW000000000000",
        "timestamp": now_ms + 2000,
        "source": {"type": "user", "userId": late},
    }
    follow = {
        **followed["event"],
        "webhookEventId": "01JLATEFOLLOW00000000000000",
        "timestamp": now_ms + 1000,
        "source": {"type": "user", "userId": late},
    }
    await stack.emu.post("/emulator/webhooks", json={"events": [unfollow]})
    await stack.emu.post("/emulator/webhooks", json={"events": [follow]})
    await stack.settle()
    assert await enrollment_row(stack, scenario_id, late) is None
    assert await stack.received(late) == []


async def test_line_500s_then_success_sends_once(stack):
    scenario_id = await stack.scenario(scenario(WELCOME, **PUSHED))
    friend = user(20)
    await stack.emu.post("/emulator/faults", json={"status": 500, "times": 2})
    await stack.follow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == ["Welcome"]
    assert len(await stack.received(friend)) == 1


async def test_line_down_for_good_fails_within_the_retry_key_lifetime(stack):
    scenario_id = await stack.scenario(scenario(WELCOME, **PUSHED))
    friend = user(26)
    await stack.emu.post("/emulator/faults", json={"status": 503, "times": 10_000})
    started = await stack.env.get_current_time()
    await stack.follow(friend)
    result = await stack.outcome(scenario_id, friend)
    assert result.status == "failed" and "LINE push did not succeed" in result.error
    # the retries stopped far inside the 24 h for which LINE honours the retry key
    assert await stack.env.get_current_time() - started < timedelta(hours=7)
    async with stack.db.session() as session:
        delivery = await session.get(Delivery, (f"enrollment:{scenario_id}:{friend}:1", "welcome"))
    assert delivery.status == "reserved"  # unknown whether LINE took it: never re-keyed
    await stack.emu.delete("/emulator/faults")
    assert await stack.received(friend) == []


async def test_rate_limit_429_is_retried(stack):
    scenario_id = await stack.scenario(scenario(WELCOME, **PUSHED))
    friend = user(21)
    await stack.emu.post("/emulator/faults", json={"status": 429, "times": 3})
    await stack.follow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == ["Welcome"]


async def test_accepted_then_dropped_push_is_not_sent_twice(stack):
    scenario_id = await stack.scenario(scenario(WELCOME, **PUSHED))
    friend = user(22)
    await stack.emu.post("/emulator/faults", json={"accept_then_drop": True})
    await stack.follow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    pushes = await stack.received(friend)
    assert len(pushes) == 1 and pushes[0]["delivered"]
    async with stack.db.session() as session:
        delivery = await session.get(Delivery, (f"enrollment:{scenario_id}:{friend}:1", "welcome"))
    # the retry got 409: LINE's id of the first, accepted request is recorded
    assert delivery.status == "sent" and delivery.request_id == pushes[0]["request_id"]


async def test_slow_answer_past_the_client_timeout_is_retried_and_not_sent_twice(
    ts_env, sqlite_url
):
    async with running_stack(ts_env, database_url=sqlite_url, line_timeout=1.0) as stack:
        scenario_id = await stack.scenario(scenario(WELCOME, **PUSHED))
        friend = user(25)
        # LINE accepts the push, then answers nothing for 3 s: our client gives up after 1 s
        await stack.emu.post(
            "/emulator/faults", json={"accept_then_drop": True, "delay_seconds": 3}
        )
        await stack.follow(friend)
        assert (await stack.outcome(scenario_id, friend)).status == "completed"
        pushes = await stack.received(friend)
        assert len(pushes) == 1 and pushes[0]["delivered"]


async def test_permanent_4xx_fails_the_step_with_lines_message(stack):
    scenario_id = await stack.scenario(scenario(WELCOME, text("never", "Never"), **PUSHED))
    friend = user(23)
    await stack.emu.post(
        "/emulator/faults",
        json={"status": 400, "message": "The property, 'to', in the request body is invalid"},
    )
    await stack.follow(friend)
    result = await stack.outcome(scenario_id, friend)
    assert result.status == "failed"
    assert "The property, 'to', in the request body is invalid" in result.error
    assert await stack.received(friend) == []
    row = await enrollment_row(stack, scenario_id, friend)
    assert row.status == "failed" and "invalid" in row.error


async def test_monthly_limit_holds_then_resumes(stack):
    scenario_id = await stack.scenario(scenario(WELCOME, **PUSHED))
    friend = user(24)
    await stack.emu.put("/emulator/quota", json={"monthly_quota": 0})
    await stack.follow(friend)
    await stack.env.sleep(timedelta(minutes=5))
    status = await stack.status(scenario_id, friend)
    assert (status.status, status.hold_reason, status.step) == ("held", "quota", "welcome")
    assert (await enrollment_row(stack, scenario_id, friend)).hold_reason == "quota"
    await stack.env.sleep(timedelta(hours=3))
    assert await stack.texts(friend) == []  # still over quota: no fast retries, nothing sent

    await stack.emu.put("/emulator/quota", json={"monthly_quota": 1000})
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == ["Welcome"]


async def test_pause_holds_before_the_next_send_and_resume_releases(stack):
    scenario_id = await stack.scenario(scenario(WELCOME, wait("day", "P1D"), text("next", "Next")))
    friend = user(30)
    await stack.follow(friend)
    await stack.until_texts(friend, ["Welcome"])
    assert (await stack.api.post(f"/scenarios/{scenario_id}/pause")).status_code == 202
    await stack.env.sleep(timedelta(days=3))
    status = await stack.status(scenario_id, friend)
    assert (status.status, status.hold_reason, status.step) == ("held", "pause", "next")
    assert await stack.texts(friend) == ["Welcome"]

    assert (await stack.api.post(f"/scenarios/{scenario_id}/resume")).status_code == 202
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == ["Welcome", "Next"]


async def test_end_stops_running_enrollments(stack):
    scenario_id = await stack.scenario(scenario(WELCOME, wait("day", "P1D"), text("next", "Next")))
    friend = user(31)
    await stack.follow(friend)
    await stack.until_texts(friend, ["Welcome"])
    assert (await stack.api.post(f"/scenarios/{scenario_id}/end")).status_code == 202
    assert (await stack.outcome(scenario_id, friend)).status == "ended"
    assert await stack.texts(friend) == ["Welcome"]


async def test_delivery_cap_stops_sends_at_the_cap(stack):
    scenario_id = await stack.scenario(scenario(WELCOME, text("second", "Second"), delivery_cap=3))
    first, second = user(40), user(41)
    await stack.follow(first)
    assert (await stack.outcome(scenario_id, first)).status == "completed"
    await stack.follow(second)
    assert (await stack.outcome(scenario_id, second)).status == "capped"
    assert await stack.texts(first) == ["Welcome", "Second"]
    assert await stack.texts(second) == ["Welcome"]
