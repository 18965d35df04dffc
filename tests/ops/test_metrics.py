"""GET /metrics: what a follow does, counted from the webhook to LINE's answer; LINE's errors
by outcome and status; a hold by its reason; the database's gauges; the optional token."""

import asyncio

import httpx
from pydantic import SecretStr
from sqlmodel import select

from store import metrics as store_metrics
from store.tables import Enrollment
from tests.api.helpers import PUSHED, scenario, signed, text
from tests.api.test_webhook import follow, webhook
from tests.journeys.test_policy import policy
from tests.ops.helpers import Samples, scrape
from tests.support.stack import running_stack, user

LINE_COUNT = "stepline_line_request_seconds_count"


async def test_a_follow_is_counted_from_the_webhook_to_the_send(stack):
    scenario_id = await stack.scenario(scenario(text("hi", "Hi"), **PUSHED))
    before = await scrape(stack)
    friend = user(1)
    await stack.follow(friend)
    await stack.until_texts(friend, ["Hi"])
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    after = await scrape(stack)

    def delta(name: str, **labels: str) -> float:
        return after.minus(before, name, **labels)

    assert delta("stepline_webhook_requests_total", outcome="accepted") == 1
    assert delta("stepline_webhook_events_total", type="follow", outcome="recorded") == 1
    assert delta("stepline_webhook_events_total", type="follow", outcome="processed") == 1
    assert delta("stepline_enrolments_total", scenario_id=scenario_id, trigger="follow") == 1
    assert delta("stepline_sends_total", outcome="sent") == 1
    assert delta("stepline_sends_total", outcome="failed") == 0
    assert delta(LINE_COUNT, endpoint="push", status="200") == 1
    assert delta("stepline_line_request_seconds_sum", endpoint="push", status="200") > 0
    # the database's gauges: this test's rows (a database of its own)
    assert after.get("stepline_store_up") == 1
    assert after.get("stepline_enrollments", status="completed") == 1
    assert after.get("stepline_enrollments", status="waiting") == 0
    assert after.get("stepline_deliveries", status="sent") == 1
    assert after.get("stepline_deliveries", status="reserved") == 0


async def test_webhook_requests_and_events_by_outcome(stack):
    before = await scrape(stack)
    body, headers = signed(
        webhook(
            follow(user(2), event_id="01JMETRICS0000000000000001"),
            {**follow(user(3), event_id="01JMETRICS0000000000000002"), "type": "unfollow"},
        )
    )
    async with httpx.AsyncClient(base_url=str(stack.api.base_url)) as line:
        assert (await line.post("/webhooks/line", content=body, headers=headers)).is_success
        await stack.settle()
        # LINE redelivers the same request: nothing new
        assert (await line.post("/webhooks/line", content=body, headers=headers)).is_success
        bad = {**headers, "X-Line-Signature": "c2lnbmF0dXJl"}
        assert (await line.post("/webhooks/line", content=body, headers=bad)).status_code == 400
        unsigned = {"Content-Type": "application/json"}
        assert (
            await line.post("/webhooks/line", content=body, headers=unsigned)
        ).status_code == 400
        not_a_webhook, signed_headers = signed({"events": "no"})
        answer = await line.post("/webhooks/line", content=not_a_webhook, headers=signed_headers)
        assert answer.status_code == 400
    await stack.settle()
    after = await scrape(stack)
    requests = {
        outcome: after.minus(before, "stepline_webhook_requests_total", outcome=outcome)
        for outcome in ("accepted", "bad_signature", "malformed")
    }
    assert requests == {"accepted": 2, "bad_signature": 2, "malformed": 1}
    events = {
        (kind, outcome): after.minus(
            before, "stepline_webhook_events_total", type=kind, outcome=outcome
        )
        for kind in ("follow", "unfollow")
        for outcome in ("recorded", "duplicate", "processed", "failed")
    }
    assert events == {
        ("follow", "recorded"): 1,
        ("follow", "duplicate"): 1,
        ("follow", "processed"): 1,
        ("follow", "failed"): 0,
        ("unfollow", "recorded"): 1,
        ("unfollow", "duplicate"): 1,
        ("unfollow", "processed"): 1,
        ("unfollow", "failed"): 0,
    }


async def test_line_errors_are_counted_by_outcome_and_status(stack):
    scenario_id = await stack.scenario(scenario(text("hi", "Hi"), **PUSHED))
    friend = user(4)
    for fault in ({"status": 500}, {"status": 429, "message": "Too many requests"}):
        answer = await stack.emu.post("/emulator/faults", json={**fault, "user_id": friend})
        assert answer.status_code == 200
    before = await scrape(stack)
    await stack.follow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == ["Hi"]  # retried until LINE took it, once
    after = await scrape(stack)
    sends = {
        outcome: after.minus(before, "stepline_sends_total", outcome=outcome)
        for outcome in ("sent", "unavailable", "rate_limited", "failed", "monthly_limit")
    }
    assert sends == {
        "sent": 1,
        "unavailable": 1,
        "rate_limited": 1,
        "failed": 0,
        "monthly_limit": 0,
    }
    latency = {
        status: after.minus(before, LINE_COUNT, endpoint="push", status=status)
        for status in ("200", "429", "500")
    }
    assert latency == {"200": 1, "429": 1, "500": 1}


async def test_a_lines_refusal_is_a_failed_send(stack):
    scenario_id = await stack.scenario(scenario(text("hi", "Hi"), **PUSHED))
    friend = user(5)
    fault = {"status": 400, "message": "The request body has 1 error(s)", "user_id": friend}
    assert (await stack.emu.post("/emulator/faults", json=fault)).status_code == 200
    before = await scrape(stack)
    await stack.follow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "failed"
    after = await scrape(stack)
    assert after.minus(before, "stepline_sends_total", outcome="failed") == 1
    assert after.minus(before, "stepline_sends_total", outcome="sent") == 0
    assert after.minus(before, LINE_COUNT, endpoint="push", status="400") == 1
    assert after.get("stepline_enrollments", status="failed") == 1
    assert after.get("stepline_deliveries", status="failed") == 1


async def rows(stack) -> list[Enrollment]:
    async with stack.db.reading() as session:
        return list(await session.exec(select(Enrollment)))


async def test_a_hold_is_counted_with_its_reason_and_the_gauges_follow_the_rows(stack):
    await policy(stack, max_per_day=1)  # the second scenario's message waits for tomorrow
    first = await stack.scenario(scenario(text("a", "A"), **PUSHED))
    second = await stack.scenario(scenario(text("b", "B"), **PUSHED))
    before = await scrape(stack)
    friend = user(6)
    await stack.follow(friend)
    deadline = asyncio.get_running_loop().time() + 10
    while sorted(row.status for row in await rows(stack)) != ["completed", "held"]:
        assert asyncio.get_running_loop().time() < deadline, await rows(stack)
        await asyncio.sleep(0.05)
    [held] = [row for row in await rows(stack) if row.status == "held"]
    assert held.hold_reason == "frequency"
    during = await scrape(stack)
    assert during.minus(before, "stepline_holds_total", reason="frequency") == 1
    assert during.minus(before, "stepline_sends_total", outcome="deferred") == 1
    assert during.minus(before, "stepline_sends_total", outcome="sent") == 1
    gauges = {
        (name, value): during.get(name, **{label: value})
        for name, label, values in (
            ("stepline_enrollments", "status", ("completed", "held", "waiting", "sending")),
            ("stepline_held_enrollments", "reason", ("frequency", "window", "quiet")),
            ("stepline_deliveries", "status", ("sent", "reserved")),
        )
        for value in values
    }
    assert gauges == {
        ("stepline_enrollments", "completed"): 1,
        ("stepline_enrollments", "held"): 1,
        ("stepline_enrollments", "waiting"): 0,
        ("stepline_enrollments", "sending"): 0,
        ("stepline_held_enrollments", "frequency"): 1,
        ("stepline_held_enrollments", "window"): 0,
        ("stepline_held_enrollments", "quiet"): 0,
        ("stepline_deliveries", "sent"): 1,
        ("stepline_deliveries", "reserved"): 0,
    }

    for scenario_id in (first, second):  # tomorrow: the held one goes out
        assert (await stack.outcome(scenario_id, friend)).status == "completed"
    after = await scrape(stack)
    assert after.minus(before, "stepline_holds_total", reason="frequency") == 1  # not again
    assert after.minus(before, "stepline_sends_total", outcome="sent") == 2
    assert after.get("stepline_enrollments", status="completed") == 2
    assert after.get("stepline_held_enrollments", reason="frequency") == 0
    assert after.get("stepline_deliveries", status="sent") == 2


async def test_the_metrics_token_when_set(stack):
    services = stack.app.state.services
    open_settings = services.settings
    services.settings = open_settings.model_copy(update={"metrics_token": SecretStr("scrape-me")})
    try:
        async with httpx.AsyncClient(base_url=str(stack.api.base_url)) as prometheus:
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "scrape-me"}):
                answer = await prometheus.get("/metrics", headers=headers)
                assert answer.status_code == 401, headers
                assert answer.headers["WWW-Authenticate"] == "Bearer"
                assert "STEPLINE_METRICS_TOKEN" in answer.json()["detail"]
            # the admin token is not the metrics token
            assert (await stack.api.get("/metrics")).status_code == 401
            right = await prometheus.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
            assert right.status_code == 200
            assert Samples.parse(right.text).get("stepline_store_up") == 1
    finally:
        services.settings = open_settings
    async with httpx.AsyncClient(base_url=str(stack.api.base_url)) as prometheus:
        assert (await prometheus.get("/metrics")).status_code == 200  # unset: open


async def test_a_database_that_does_not_answer_still_gives_the_counters(stack, monkeypatch):
    async def down(db):
        raise OSError("connection refused")

    monkeypatch.setattr(store_metrics, "store_counts", down)
    answer = await stack.api.get("/metrics")
    assert answer.status_code == 200
    samples = Samples.parse(answer.text)
    assert samples.get("stepline_store_up") == 0
    assert "stepline_enrollments" not in samples.names()
    for counter in ("stepline_webhook_requests", "stepline_sends", "stepline_holds"):
        assert f"# TYPE {counter}_total counter" in answer.text


async def test_events_the_worker_processes_are_counted_there(ts_env, sqlite_url):
    async with running_stack(ts_env, database_url=sqlite_url, webhook_processor="worker") as stack:
        scenario_id = await stack.scenario(scenario(text("hi", "Hi"), **PUSHED))
        before = await scrape(stack)
        friend = user(7)
        await stack.follow(friend)
        assert (await stack.outcome(scenario_id, friend)).status == "completed"
        after = await scrape(stack)
    assert (
        after.minus(before, "stepline_webhook_events_total", type="follow", outcome="processed")
        == 1
    )
    assert (
        after.minus(before, "stepline_enrolments_total", scenario_id=scenario_id, trigger="follow")
        == 1
    )
    assert after.minus(before, "stepline_sends_total", outcome="sent") == 1
