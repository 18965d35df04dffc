"""Test sends (LINE's テスト配信): one step, or the whole scenario with its waits cut short, to
the operator's test friends through the real delivery path (personalised, tracked links, a
retry key), never counted (stats, caps, quota reserve, reentry), marked on the timeline,
accepted while Temporal is away, sent once for one Idempotency-Key."""

import asyncio
from datetime import datetime, timedelta

import httpx
from sqlmodel import select
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from app.wording import describe
from scenarios.policy import ChannelPolicy
from store.deliveries import retry_key
from store.pipeline_tables import Outbox
from store.policy import set_policy
from store.tables import Delivery, Scenario
from tests.api.helpers import PUSHED, scenario, text, wait
from tests.support.stack import ADMIN_TOKEN, user
from workflows.enrollment import EnrollmentWorkflow

SLACK = timedelta(seconds=5)  # a workflow task's clock may run a moment past its timer


async def tagged_friends(stack, *friends: tuple[int, str], tag: str = "tester") -> list[str]:
    """Friends who follow, each with a display name, tagged."""
    ids = []
    for n, name in friends:
        friend = user(n)
        await stack.follow(friend, display_name=name)
        answer = await stack.api.post(f"/friends/{friend}/tags", json={"tags": [tag]})
        assert answer.status_code == 200, answer.text
        ids.append(friend)
    return ids


async def send_test(stack, scenario_id: str, **body) -> dict:
    answer = await stack.api.post(f"/scenarios/{scenario_id}/test-sends", json=body)
    assert answer.status_code == 202, answer.text
    return answer.json()


async def finished(stack, run: str):
    """The test run's final state, skipping virtual time until it ends."""
    handle = stack.env.client.get_workflow_handle_for(EnrollmentWorkflow.run, run)
    async with stack.env.time_skipping_unlocked():
        return await handle.result()


async def deliveries(stack, **where) -> list[Delivery]:
    async with stack.db.reading() as session:
        statement = select(Delivery).order_by(Delivery.planned_at)
        for name, value in where.items():
            statement = statement.where(getattr(Delivery, name) == value)
        return list(await session.exec(statement))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


LINKED = "Hi {displayName}, see https://shop.example/sale"


async def test_one_step_goes_to_each_tester_personalised_tracked_and_with_a_retry_key(any_stack):
    stack = any_stack
    scenario_id = await stack.scenario(
        scenario(text("welcome", LINKED), wait("day", "P1D"), text("later", "Later")),
        activate=False,  # a draft can be tried
    )
    aki, ben = await tagged_friends(stack, (9101, "Aki"), (9102, "Ben"))
    bystander = user(9103)
    await stack.follow(bystander, display_name="Cho")
    answer = await send_test(stack, scenario_id, step="welcome", tag="tester")
    assert (answer["mode"], answer["step"], answer["version"]) == ("step", "welcome", 1)
    runs = {tester["user_id"]: tester["enrollment_id"] for tester in answer["testers"]}
    assert sorted(runs) == [aki, ben]
    assert runs[aki] == f"test:{scenario_id}:{aki}:{answer['id']}"
    for friend, name in ((aki, "Aki"), (ben, "Ben")):
        assert (await finished(stack, runs[friend])).status == "completed"
        expected = [f"Hi {name}, see https://shop.example/sale"]
        await stack.until_texts(friend, expected, tracked_as=True)  # the emulator got it
        [push] = await stack.received(friend)
        assert f"{stack.settings.public_url}".rstrip("/") + "/r/" in push["messages"][0]["text"]
        assert push["retry_key"] == retry_key(enrollment_id=runs[friend], step_id="welcome")
    assert await stack.received(bystander) == []  # only the testers; the rest of the scenario not
    operation = (await stack.api.get(answer["operation"]["url"])).json()
    assert (operation["action"], operation["status"], operation["done"]) == ("test", "done", 2)

    timeline = (await stack.api.get(f"/friends/{aki}/timeline")).json()
    tests = [entry for entry in timeline["entries"] if entry["detail"].get("test")]
    assert [entry["kind"] for entry in tests] == [
        "enrolled",
        "step_entered",
        "sent",
        "enrollment_ended",
    ]
    assert all(entry["enrollment_id"] == runs[aki] for entry in tests)
    sent = next(entry for entry in tests if entry["kind"] == "sent")
    assert describe(sent, clock=str).startswith("test: sent welcome")
    # nothing of it is the scenario's
    stats = (await stack.api.get(f"/scenarios/{scenario_id}/stats")).json()
    assert (stats["enrolled"], stats["messages_sent"]) == (0, 0)
    assert all(step["sent"] == 0 and step["entered"] == 0 for step in stats["steps"])
    assert (await stack.api.get(f"/scenarios/{scenario_id}/enrollments")).json() == []
    assert (await stack.api.get(f"/friends/{aki}")).json()["enrollments"] == []
    async with stack.db.reading() as session:
        assert (await session.get(Scenario, scenario_id)).sent_count == 0
    metrics = (await stack.api.get("/metrics")).text
    assert 'stepline_enrollments{status="completed"} 0.0' in metrics
    assert 'stepline_deliveries{status="sent"} 0.0' in metrics


WALK = scenario(
    text("welcome", "Welcome"),
    wait("day", "P1D"),
    {
        "id": "plan",
        "type": "branch",
        "branches": [
            {
                "label": "gold",
                "when": {"attribute": "plan", "equals": "gold"},
                "steps": [text("gold", "For gold members")],
            }
        ],
        "otherwise": [text("basic", "For everyone")],
    },
    {
        "id": "cart",
        "type": "wait_for",
        "until": {"event": "purchase"},
        "timeout": "P3D",
        "then": [text("thanks", "Thanks")],
        "on_timeout": [text("nudge", "Still thinking?")],
    },
    {**text("night", "Good night"), "window": {"start": "03:00", "end": "03:01"}},
)


async def test_a_walk_sends_every_step_in_order_with_its_waits_cut_short(stack):
    scenario_id = await stack.scenario(WALK, activate=False)
    gold, basic = await tagged_friends(stack, (9111, "Gold"), (9112, "Basic"))
    await stack.api.put(f"/friends/{gold}/attributes", json={"plan": "gold"})
    answer = await send_test(stack, scenario_id, walk=True, tag="tester", wait_scale="PT3S")
    assert (answer["mode"], answer["wait_scale"]) == ("walk", "PT3S")
    runs = {tester["user_id"]: tester["enrollment_id"] for tester in answer["testers"]}
    for friend in (gold, basic):
        assert (await finished(stack, runs[friend])).status == "completed"
    assert await stack.texts(gold) == [
        "Welcome",
        "For gold members",
        "Still thinking?",
        "Good night",
    ]
    assert await stack.texts(basic) == ["Welcome", "For everyone", "Still thinking?", "Good night"]
    sent = [row.planned_at for row in await deliveries(stack, enrollment_id=runs[gold])]
    # the day's wait and the 3 days' timeout took 3 seconds each; the window held nothing
    assert sent[1] - sent[0] <= timedelta(seconds=3) + SLACK
    assert sent[2] - sent[1] <= timedelta(seconds=3) + SLACK
    assert sent[3] - sent[2] <= SLACK
    timeline = (await stack.api.get(f"/friends/{gold}/timeline")).json()
    decisions = [e for e in timeline["entries"] if e["kind"] == "decision"]
    assert [(e["step_id"], e["label"], e["detail"]["test"]) for e in decisions] == [
        ("plan", "gold", True),
        ("cart", "on_timeout", True),
    ]
    stats = (await stack.api.get(f"/scenarios/{scenario_id}/stats")).json()
    assert stats["enrolled"] == 0 and all(b["taken"] == 0 for b in stats["branches"])


async def test_a_test_holds_back_no_real_message_cap_or_reentry(stack):
    async with stack.db.session() as session:
        await set_policy(session, policy=ChannelPolicy(max_per_day=1))
    event_scenario = {
        **scenario(text("offer", "Offer")),
        "trigger": {"type": "event", "event": "cart_add"},
    }
    scenario_id = await stack.scenario(event_scenario)
    [tester] = await tagged_friends(stack, (9121, "Tess"))
    answer = await send_test(stack, scenario_id, walk=True, user_ids=[tester])
    assert (await finished(stack, answer["testers"][0]["enrollment_id"])).status == "completed"
    await stack.until_texts(tester, ["Offer"])
    tried = await stack.env.get_current_time()
    # the real enrollment is not taken for a second one, nor held by the day's cap of one
    assert (
        await stack.api.post("/events", json={"user_id": tester, "name": "cart_add"})
    ).status_code == 201
    await stack.until_enrolled(scenario_id, tester)
    assert (await stack.outcome(scenario_id, tester)).status == "completed"
    assert await stack.texts(tester) == ["Offer", "Offer"]
    [real] = await deliveries(stack, enrollment_id=f"enrollment:{scenario_id}:{tester}:1")
    assert real.planned_at - tried <= SLACK  # not deferred to tomorrow by the test's push
    stats = (await stack.api.get(f"/scenarios/{scenario_id}/stats")).json()
    assert (stats["enrolled"], stats["messages_sent"]) == (1, 1)
    async with stack.db.reading() as session:
        assert (await session.get(Scenario, scenario_id)).sent_count == 1


async def test_the_quota_reserve_holds_real_steps_and_not_a_test(stack):
    async with stack.db.session() as session:
        await set_policy(session, policy=ChannelPolicy(quota_reserve_percent=20))
    await stack.emu.put("/emulator/quota", json={"monthly_quota": 100, "consumption": 80})
    scenario_id = await stack.scenario(scenario(text("hello", "Hello"), **PUSHED))
    real = user(9131)
    await stack.follow(real)
    held = await stack.until_status(scenario_id, real, "held", step="hello")
    assert held.hold_reason == "quota"  # the plan's last 20 are kept for manual broadcasts
    [tester] = await tagged_friends(stack, (9132, "Tess"))
    answer = await send_test(stack, scenario_id, step="hello", user_ids=[tester])
    assert (await finished(stack, answer["testers"][0]["enrollment_id"])).status == "completed"
    await stack.until_texts(tester, ["Hello"])
    assert await stack.texts(real) == []


async def test_bad_asks_are_422s_naming_the_field(stack):
    scenario_id = await stack.scenario(
        scenario(text("hi", "Hi"), wait("day", "P1D")), activate=False
    )
    [tester] = await tagged_friends(stack, (9141, "Tess"))
    url = f"/scenarios/{scenario_id}/test-sends"
    cases = [
        ({"step": "nope", "tag": "tester"}, "step", "has no step 'nope'"),
        ({"step": "day", "tag": "tester"}, "step", "is a wait step"),
        ({"step": "hi", "tag": "nobody"}, "tag", "no friend who follows the account has the tag"),
        ({"step": "hi", "walk": True, "tag": "tester"}, "step", "either `step`"),
        ({"tag": "tester"}, "step", "either `step`"),
        ({"step": "hi"}, "tag", "either `tag` or `user_ids`"),
        ({"step": "hi", "tag": "tester", "user_ids": [tester]}, "tag", "either `tag`"),
        ({"step": "hi", "user_ids": [tester, user(9149)]}, "user_ids[1]", "not a friend who"),
        ({"step": "hi", "user_ids": ["someone"]}, "user_ids[0]", "match pattern"),
        ({"step": "hi", "tag": "tester", "version": 7}, "version", "has no version 7"),
        ({"walk": True, "tag": "tester", "wait_scale": "P1D"}, "wait_scale", "10 minutes"),
        ({"walk": True, "tag": "tester", "wait_scale": "soon"}, "wait_scale", ""),
        ({"step": "hi", "tag": "tester", "wait_scale": "PT5S"}, "wait_scale", "only a walk"),
        ({"step": "hi", "tag": "tester", "when": "now"}, "when", "Extra inputs"),
    ]
    for body, path, words in cases:
        answer = await stack.api.post(url, json=body)
        assert answer.status_code == 422, (body, answer.text)
        [problem] = answer.json()["detail"]
        assert problem["path"] == path and words in problem["msg"], (body, problem)
    missing = await stack.api.post(
        "/scenarios/scn_none/test-sends", json={"step": "hi", "tag": "t"}
    )
    assert missing.status_code == 404
    assert await stack.received(tester) == []


async def test_accepted_while_temporal_is_away_and_sent_once_it_is_back(stack):
    scenario_id = await stack.scenario(scenario(text("hi", "Hi")), activate=False)
    [tester] = await tagged_friends(stack, (9151, "Tess"))
    commands = stack.dispatcher.commands
    live = commands.temporal
    commands.temporal = await Client.connect(
        "127.0.0.1:1", lazy=True, data_converter=pydantic_data_converter
    )
    try:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        async with httpx.AsyncClient(base_url=str(stack.api.base_url), headers=headers) as api:
            answer = await api.post(
                f"/scenarios/{scenario_id}/test-sends", json={"step": "hi", "tag": "tester"}
            )
            assert answer.status_code == 202, answer.text
            for _ in range(100):  # the dispatcher tried, and keeps the row for later
                async with stack.db.reading() as session:
                    rows = (await session.exec(select(Outbox))).all()
                if rows and rows[0].last_error:
                    break
                await asyncio.sleep(0.05)
            assert [row.kind for row in rows] == ["start_test"]
            assert rows[0].last_error.startswith("Temporal unreachable")
            operation = (await api.get(answer.json()["operation"]["url"])).json()
            assert (operation["status"], operation["done"]) == ("queued", 0)
        assert await stack.received(tester) == []
    finally:
        commands.temporal = live
    await stack.settle()
    run = answer.json()["testers"][0]["enrollment_id"]
    assert (await finished(stack, run)).status == "completed"
    await stack.until_texts(tester, ["Hi"])


async def test_one_idempotency_key_is_one_test_send(stack):
    scenario_id = await stack.scenario(scenario(text("hi", "Hi")), activate=False)
    [tester] = await tagged_friends(stack, (9161, "Tess"))
    url, body = f"/scenarios/{scenario_id}/test-sends", {"step": "hi", "tag": "tester"}
    key = {"Idempotency-Key": "try-1"}
    first = await stack.api.post(url, json=body, headers=key)
    again = await stack.api.post(url, json=body, headers=key)
    assert first.status_code == again.status_code == 202
    same = ("id", "testers", "created_at")
    assert [first.json()[k] for k in same] == [again.json()[k] for k in same]
    assert first.json()["operation"]["id"] == again.json()["operation"]["id"]
    other = await stack.api.post(url, json={**body, "step": "hi", "tag": "x"}, headers=key)
    assert other.status_code == 409 and "try-1" in other.json()["detail"]
    assert (
        await finished(stack, first.json()["testers"][0]["enrollment_id"])
    ).status == "completed"
    await stack.until_texts(tester, ["Hi"])
    await asyncio.sleep(0.2)
    assert await stack.texts(tester) == ["Hi"]  # once
    both = await asyncio.gather(  # the same key at the same moment: still one test send
        *(stack.api.post(url, json=body, headers={"Idempotency-Key": "try-2"}) for _ in "ab")
    )
    assert [answer.status_code for answer in both] == [202, 202]
    assert both[0].json()["id"] == both[1].json()["id"] != first.json()["id"]
    run = both[0].json()["testers"][0]["enrollment_id"]
    assert (await finished(stack, run)).status == "completed"
    await stack.until_texts(tester, ["Hi", "Hi"])
    second = await stack.api.post(url, json=body)  # no key: a new test send
    assert second.json()["id"] != first.json()["id"]
    assert (
        await finished(stack, second.json()["testers"][0]["enrollment_id"])
    ).status == "completed"
    await stack.until_texts(tester, ["Hi", "Hi", "Hi"])
