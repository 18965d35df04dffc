"""The reply API: a token from a follow, postback or text-message event answers once, within a
minute, to that event's user, for free; bad requests, faults and the state file."""

import httpx
import pytest
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    ReplyMessageRequest,
    TextMessage,
)

from emulator import control
from emulator.line_api import MONTHLY_LIMIT, RETRY_KEY_UNSUPPORTED
from emulator.reply import INVALID_REPLY_TOKEN
from emulator.snapshot import restore, snapshot
from emulator.webhooks import WebhookResult

from .conftest import TOKEN, befriend, push, retry_key, text, user
from .test_emulator_state_file import emulator

INVALID = {"message": INVALID_REPLY_TOKEN}
FLEX = {
    "type": "flex",
    "altText": "a card",
    "contents": {"type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": []}},
}


async def follow_token(client, user_id: str) -> str:
    response = await client.post(f"/emulator/users/{user_id}/follow")
    assert response.status_code == 200
    return response.json()["event"]["replyToken"]


async def reply(client, token, messages, **extra) -> httpx.Response:
    body = {"replyToken": token, "messages": messages, **extra}
    return await client.post("/v2/bot/message/reply", json=body)


async def test_a_follow_token_replies_once_and_for_free(client, state):
    await client.put("/emulator/quota", json={"monthly_quota": 3, "consumption": 3})
    token = await follow_token(client, user(1))
    assert state.reply_tokens.get(token).user_id == user(1)
    assert state.reply_tokens.get(token).issued_at == state.clock()
    assert (await push(client, user(1), [text()])).json() == {"message": MONTHLY_LIMIT}

    answer = await reply(client, token, [text("welcome"), FLEX], notificationDisabled=True)
    assert answer.status_code == 200
    first, second = answer.json()["sentMessages"]
    assert first["id"].isdigit() and first["quoteToken"] and set(second) == {"id"}
    (record,) = (await client.get("/emulator/messages")).json()
    assert record.pop("received_at").startswith("2026-")
    assert record == {
        "request_id": answer.headers["x-line-request-id"],
        "to": user(1),
        "messages": [text("welcome"), FLEX],
        "retry_key": None,
        "delivered": True,
        "reason": None,
        "silent": True,
        "via": "reply",
    }
    assert state.consumption == 3  # replies are free: not counted, not refused at the limit

    again = await reply(client, token, [text("again")])
    assert (again.status_code, again.json()) == (400, INVALID)
    assert len(state.deliveries) == 1 and state.reply_tokens.get(token) is None
    assert state.calls["reply"] == 2


async def test_the_token_is_issued_before_the_webhook_goes_out(client, state, monkeypatch):
    """A bot may reply while it handles the event: the token must already work then."""
    seen = []

    async def bot(state_, events, **_):
        seen.append(state_.reply_tokens.user_of(events[0]["replyToken"]))
        return WebhookResult(status=200)

    monkeypatch.setattr(control, "post_events", bot)
    await follow_token(client, user(1))
    await client.post(f"/emulator/users/{user(1)}/message", json={"text": "hi"})
    await client.post(f"/emulator/users/{user(1)}/postback", json={"data": "a=1"})
    assert seen == [user(1)] * 3


async def test_unknown_missing_and_malformed_tokens(client, state):
    await befriend(client, user(1))
    for token in ("0" * 32, "", 42):
        answer = await reply(client, token, [text()])
        assert (answer.status_code, answer.json()) == (400, INVALID)
    missing = await client.post("/v2/bot/message/reply", json={"messages": [text()]})
    assert missing.status_code == 400
    assert missing.json() == {
        "message": "The request body has 1 error(s)",
        "details": [{"message": "must be specified", "property": "replyToken"}],
    }
    assert state.deliveries == []


async def test_a_token_lasts_one_minute(client, state):
    start = state.clock.now
    fresh, stale = await follow_token(client, user(1)), await follow_token(client, user(2))
    state.clock.now = start + 59
    assert (await reply(client, fresh, [text()])).status_code == 200
    state.clock.now = start + 61
    answer = await reply(client, stale, [text()])
    assert (answer.status_code, answer.json()) == (400, INVALID)
    assert [(d.to, d.via) for d in state.deliveries] == [(user(1), "reply")]


async def test_expired_tokens_are_forgotten(state):
    for n in range(100):
        state.reply_tokens.issue(user(n))
    assert len(state.reply_tokens) == 100
    state.clock.now += 60
    kept = state.reply_tokens.issue(user(1))
    assert len(state.reply_tokens) == 1 and state.reply_tokens.user_of(kept) == user(1)


async def test_postback_and_text_message_tokens(client, state):
    await befriend(client, user(1), user(2))
    tapped = await client.post(f"/emulator/users/{user(1)}/postback", json={"data": "a=1"})
    said = await client.post(f"/emulator/users/{user(2)}/message", json={"text": "hello"})
    for answer in (tapped, said):
        event = answer.json()["event"]
        assert (await reply(client, event["replyToken"], [text("ok")])).status_code == 200
    assert [(d.to, d.via, d.delivered) for d in state.deliveries] == [
        (user(1), "reply", True),
        (user(2), "reply", True),
    ]


@pytest.mark.parametrize(
    ("body", "details"),
    [
        (
            {"messages": []},
            [{"message": "must contain at least 1 message", "property": "messages"}],
        ),
        ({"messages": [text()] * 6}, [{"property": "messages"}]),
        ({"messages": [{"type": "nope"}]}, [{"property": "messages[0].type"}]),
        ({}, [{"message": "must be specified", "property": "messages"}]),
        (
            {"messages": [text()], "notificationDisabled": "yes"},
            [{"message": "must be true or false", "property": "notificationDisabled"}],
        ),
        (
            {"messages": [{"type": "coupon", "couponId": "01JXXXXXXXXXXXXXXXXXXXXXXX"}]},
            [{"property": "messages[0].couponId"}],
        ),
    ],
)
async def test_a_bad_body_leaves_the_token_unused(client, state, body, details):
    token = await follow_token(client, user(1))
    answer = await client.post("/v2/bot/message/reply", json={"replyToken": token} | body)
    assert answer.status_code == 400
    got = answer.json()["details"]
    assert len(got) == len(details)
    assert all(want.items() <= have.items() for want, have in zip(details, got, strict=True))
    assert state.deliveries == []
    assert (await reply(client, token, [text()])).status_code == 200


async def test_what_the_other_endpoints_refuse(client, base_url, state):
    token = await follow_token(client, user(1))
    keyed = await client.post(
        "/v2/bot/message/reply",
        json={"replyToken": token, "messages": [text()]},
        headers={"X-Line-Retry-Key": retry_key()},
    )
    assert (keyed.status_code, keyed.json()) == (400, {"message": RETRY_KEY_UNSUPPORTED})
    raw = await client.post(
        "/v2/bot/message/reply", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert raw.status_code == 400 and "could not be parsed as JSON" in raw.json()["message"]
    form = await client.post(
        "/v2/bot/message/reply", content=b"x", headers={"Content-Type": "text/plain"}
    )
    assert form.status_code == 415
    async with httpx.AsyncClient(base_url=base_url) as anonymous:
        body = {"replyToken": token, "messages": [text()]}
        assert (await anonymous.post("/v2/bot/message/reply", json=body)).status_code == 401
    assert state.deliveries == []
    assert (await reply(client, token, [text()])).status_code == 200


async def test_a_reply_to_a_user_who_blocked_meanwhile_is_not_delivered(client, state):
    token = await follow_token(client, user(1))
    await client.post(f"/emulator/users/{user(1)}/unfollow")
    assert (await reply(client, token, [text()])).status_code == 200
    (record,) = state.deliveries
    assert (record.delivered, record.reason, record.via) == (False, "blocked", "reply")
    assert (await reply(client, token, [text()])).status_code == 400  # used up all the same


async def test_a_status_fault_on_reply_leaves_the_token_unused(client, state):
    token = await follow_token(client, user(1))
    await client.post("/emulator/faults", json={"status": 500})  # push and multicast only
    assert (await reply(client, token, [text()])).status_code == 200
    assert (await push(client, user(1), [text()])).status_code == 500

    token = await follow_token(client, user(1))
    queued = await client.post("/emulator/faults", json={"status": 500, "endpoints": ["reply"]})
    assert queued.json()[0]["endpoints"] == ["reply"]
    failed = await reply(client, token, [text()])
    assert (failed.status_code, failed.json()) == (500, {"message": "An error occurred"})
    assert len(state.deliveries) == 1  # only the first reply
    assert (await reply(client, token, [text("retried")])).status_code == 200
    assert [d.messages[0]["text"] for d in state.deliveries] == ["hello", "retried"]


async def test_a_fault_for_another_user_leaves_the_reply_alone(client, state):
    token = await follow_token(client, user(1))
    fault = {"status": 503, "endpoints": ["reply"], "user_id": user(2)}
    await client.post("/emulator/faults", json=fault)
    assert (await reply(client, token, [text()])).status_code == 200
    assert len((await client.get("/emulator/faults")).json()) == 1


async def test_accept_then_drop_on_reply_uses_the_token(client, base_url, state):
    token = await follow_token(client, user(1))
    await client.post("/emulator/faults", json={"accept_then_drop": True, "endpoints": ["reply"]})
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=2) as short:
        with pytest.raises(httpx.TransportError) as dropped:
            await reply(short, token, [text("once")])
    assert not isinstance(dropped.value, httpx.TimeoutException)
    (record,) = (await client.get("/emulator/messages")).json()
    assert (record["to"], record["delivered"], record["via"]) == (user(1), True, "reply")
    again = await reply(client, token, [text("once")])
    assert (again.status_code, again.json()) == (400, INVALID)
    assert len(state.deliveries) == 1 and state.consumption == 0


async def test_the_sdk_replies(base_url, client, state):
    token = await follow_token(client, user(1))
    async with AsyncApiClient(Configuration(host=base_url, access_token=TOKEN)) as api_client:
        answer = await AsyncMessagingApi(api_client).reply_message(
            ReplyMessageRequest(reply_token=token, messages=[TextMessage(text="hi")])
        )
    (sent,) = answer.sent_messages
    assert sent.id.isdigit() and sent.quote_token
    assert [(d.to, d.messages, d.via) for d in state.deliveries] == [
        (user(1), [{"type": "text", "text": "hi"}], "reply")
    ]


async def test_via_survives_the_state_file(tmp_path, state):
    path = tmp_path / "emulator.json"
    async with emulator(path, state.clock) as (_, http):
        token = await follow_token(http, user(1))
        assert (await reply(http, token, [text("answer")])).status_code == 200
        assert (await push(http, user(1), [text("later")])).status_code == 200
    async with emulator(path, state.clock) as (restarted, http):
        messages = (await http.get("/emulator/messages")).json()
        assert [(m["messages"][0]["text"], m["via"]) for m in messages] == [
            ("answer", "reply"),
            ("later", "push"),
        ]
        assert restarted.consumption == 1  # the push only

    saved = snapshot(restarted)  # a file from before the reply API: no via, read as push
    for delivery in saved["deliveries"]:
        del delivery["via"]
    restore(state, saved)
    assert [d.via for d in state.deliveries] == ["push", "push"]
    with pytest.raises(ValueError, match="via"):
        restore(
            state, snapshot(restarted) | {"deliveries": [saved["deliveries"][0] | {"via": "x"}]}
        )
