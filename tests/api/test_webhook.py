"""POST /webhooks/line: signatures, malformed bodies, LINE's own event fixture, size limit."""

import json
from pathlib import Path

import httpx
import pytest

from api.routes.webhooks import MAX_BODY
from store.tables import Enrollment, Friend, WebhookEvent
from tests.api.helpers import count, enrollment_at, scenario, sign, signed, text
from tests.support.pipeline import dispatcher_stopped, waiting
from tests.support.stack import user

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "line" / "webhook-all-events.json"


def follow(
    user_id: str, event_id: str = "01JFOLLOW000000000000000000", ts: int = 1_700_000_000_000
):
    return {
        "type": "follow",
        "mode": "active",
        "timestamp": ts,
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": event_id,
        "deliveryContext": {"isRedelivery": False},
        "replyToken": "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA",
        "follow": {"isUnblocked": False},
    }


def webhook(*events: dict) -> dict:
    return {"destination": "U" + "f" * 32, "events": list(events)}


async def post(stack, body: bytes, headers: dict) -> httpx.Response:
    # no Authorization header: LINE has no admin token
    async with httpx.AsyncClient(base_url=str(stack.api.base_url)) as client:
        return await client.post("/webhooks/line", content=body, headers=headers)


async def nothing_recorded(stack) -> bool:
    await stack.settle()
    return await count(stack, WebhookEvent) == 0 and await count(stack, Friend) == 0


async def test_missing_signature_is_400_and_nothing_happens(shared):
    body = json.dumps(webhook(follow(user(100)))).encode()
    answer = await post(shared, body, {"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json() == {"detail": "missing X-Line-Signature"}
    assert await count(shared, WebhookEvent) == 0
    assert await count(shared, Friend, Friend.user_id == user(100)) == 0


@pytest.mark.parametrize(
    "signature",
    ["not base64!", "", sign(b"another body"), sign(b"{}", secret="another-channel-secret")],
    ids=["garbage", "empty", "other body", "other secret"],
)
async def test_bad_signature_is_400_and_nothing_is_recorded(shared, signature):
    body = json.dumps(webhook(follow(user(101)))).encode()
    answer = await post(
        shared, body, {"Content-Type": "application/json", "X-Line-Signature": signature}
    )
    assert answer.status_code == 400
    assert "X-Line-Signature" in answer.json()["detail"]
    await shared.settle()
    assert await count(shared, WebhookEvent) == 0
    assert await count(shared, Friend, Friend.user_id == user(101)) == 0


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe\x00",
        b"[]",
        b'{"destination": "U1"}',
        b'{"events": "follow"}',
        b'{"events": [42]}',
        b'{"events": [{"type": "follow"}]}',
    ],
)
async def test_signed_body_that_is_not_a_webhook_is_400(shared, body):
    answer = await post(shared, *signed(body))
    assert answer.status_code == 400, answer.text
    assert answer.json() == {"detail": "malformed webhook body"}
    await shared.settle()
    assert await count(shared, WebhookEvent) == 0


async def test_bytes_that_are_not_utf8_with_a_bad_signature_are_a_bad_signature(shared, caplog):
    """The signature is checked over the raw bytes before they are decoded: such a body is
    not LINE's, and is counted and logged as unsigned, not as a signed body gone wrong."""
    body = b'{"events": [], "destination": "\xff\xfe"}'
    answer = await post(
        shared, body, {"Content-Type": "application/json", "X-Line-Signature": "AAAA"}
    )
    assert answer.status_code == 400
    assert answer.json() == {"detail": "invalid X-Line-Signature"}
    assert not [r for r in caplog.records if "signed webhook body" in r.getMessage()]
    signed_badly = await post(shared, *signed(body))  # the right signature: LINE's, malformed
    assert signed_badly.json() == {"detail": "malformed webhook body"}


async def test_empty_events_is_lines_verify_call_and_answers_200(shared):
    answer = await post(shared, *signed(webhook()))
    assert answer.status_code == 200
    assert answer.json() == {}


async def test_body_over_the_limit_is_413(shared):
    padding = "x" * (MAX_BODY + 1)
    body = json.dumps({**webhook(follow(user(102))), "padding": padding}).encode()
    answer = await post(shared, *signed(body))
    assert answer.status_code == 413
    await shared.settle()
    assert await count(shared, WebhookEvent) == 0
    assert await count(shared, Friend, Friend.user_id == user(102)) == 0


async def test_every_event_type_line_sends_is_answered_200_and_nothing_breaks(stack):
    scenario_id = await stack.scenario(scenario(text("welcome", "Welcome")))
    body = FIXTURE.read_bytes()
    events = json.loads(body)["events"]
    assert len(events) == 28 and events[-1]["type"] == "undefined"
    headers = {"Content-Type": "application/json", "X-Line-Signature": sign(body)}
    for _ in range(2):  # and again, as a redelivery would
        answer = await post(stack, body, headers)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {}
    await stack.settle()
    async with stack.db.session() as session:
        rows = list(await session.exec(WebhookEvent.__table__.select()))
    # every event of the fixture shares one webhookEventId: recorded once, and handled
    assert [row.event_id for row in rows] == ["testwebhookeventid"]
    assert rows[0].processed_at is not None and rows[0].last_error is None

    friend = user(103)
    await stack.follow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == ["Welcome"]
    health = await stack.api.get("/readyz")
    assert {k: health.json()[k] for k in ("status", "database", "temporal", "migrations")} == {
        "status": "ok",
        "database": "ok",
        "temporal": "ok",
        "migrations": "ok",
    }


async def test_a_follow_enrols_and_an_unfollow_blocks(stack):
    scenario_id = await stack.scenario(
        scenario(text("welcome", "Welcome"), {"id": "w", "type": "wait", "duration": "P7D"})
    )
    friend = user(104)
    # the emulated LINE platform signs and posts the follow webhook, as LINE would
    answer = (await stack.emu.post(f"/emulator/users/{friend}/follow")).json()
    assert answer["webhook_status"] == 200
    # answered only once recorded
    assert await count(stack, WebhookEvent, WebhookEvent.user_id == friend) == 1
    await stack.settle()
    await stack.until_texts(friend, ["Welcome"])
    await enrollment_at(stack, scenario_id, friend, "w")
    view = (await stack.api.get(f"/friends/{friend}")).json()
    assert (view["following"], view["epoch"]) == (True, 1)
    assert [(e["scenario_id"], e["status"]) for e in view["enrollments"]] == [
        (scenario_id, "waiting")
    ]

    await stack.unfollow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "blocked"
    view = (await stack.api.get(f"/friends/{friend}")).json()
    assert view["following"] is False and view["blocked_at"] is not None
    assert [e["status"] for e in view["enrollments"]] == ["blocked"]
    assert await count(stack, Enrollment) == 1
    assert await stack.texts(friend) == ["Welcome"]


async def test_an_over_long_webhook_event_id_is_still_recorded_once(stack):
    event = follow(user(55), event_id="X" * 300)
    body, headers = signed(webhook(event, event))
    assert (await post(stack, body, headers)).status_code == 200
    await stack.settle()
    assert await count(stack, WebhookEvent) == 1
    assert await count(stack, Friend) == 1


async def test_an_acknowledged_unfollow_holds_before_the_dispatcher_gets_to_it(stack):
    """The dispatcher lags (a burst, Temporal down): the block is in the store from the moment
    LINE was answered, so the next step sends nothing even though no signal reached it."""
    scenario_id = await stack.scenario(
        scenario(
            text("welcome", "Welcome"),
            {"id": "w", "type": "wait", "duration": "PT1H"},
            text("later", "Later"),
        )
    )
    friend = user(105)
    await stack.follow(friend)
    await stack.until_texts(friend, ["Welcome"])
    async with dispatcher_stopped(stack):
        answer = (await stack.emu.post(f"/emulator/users/{friend}/unfollow")).json()
        assert answer["webhook_status"] == 200
        assert (await stack.api.get(f"/friends/{friend}")).json()["following"] is False
        assert await waiting(stack) == {"webhook": 1}
        assert (await stack.outcome(scenario_id, friend)).status == "blocked"
        assert await stack.texts(friend) == ["Welcome"]
    await stack.settle()  # the block's signal, once the dispatcher is back: nothing more
