"""Push and multicast: authentication, validation, retry keys, delivery records."""

import uuid

import httpx

from emulator.line_api import AUTH_FAILED, INVALID_TO, RETRY_KEY_ACCEPTED
from emulator.state import RETRY_KEY_LIFETIME

from .conftest import TOKEN, befriend, push, retry_key, text, user


def _is_uuid(value: str) -> bool:
    return str(uuid.UUID(value)) == value


async def test_push_to_a_friend_is_delivered_and_recorded(client, state):
    await befriend(client, user(1))
    key = retry_key()
    messages = [text("hi"), {"type": "sticker", "packageId": "446", "stickerId": "1988"}]
    response = await push(client, user(1), messages, key)

    assert response.status_code == 200
    request_id = response.headers["x-line-request-id"]
    assert _is_uuid(request_id)
    sent = response.json()["sentMessages"]
    assert len(sent) == 2 and all(m["id"].isdigit() and m["quoteToken"] for m in sent)
    assert sent[0]["id"] != sent[1]["id"]

    records = (await client.get("/emulator/messages", params={"user_id": user(1)})).json()
    assert len(records) == 1
    record = records[0]
    assert record.pop("received_at").startswith("2026-")
    assert record == {
        "request_id": request_id,
        "to": user(1),
        "messages": messages,
        "retry_key": key,
        "delivered": True,
        "reason": None,
        "silent": False,  # no notificationDisabled: the phone notifies
        "via": "push",  # not the reply API
    }
    assert state.consumption == 1  # one push to one user counts one, however many objects


async def test_notification_disabled_is_recorded_and_must_be_a_boolean(client):
    await befriend(client, user(1))
    body = {"to": user(1), "messages": [text("shh")], "notificationDisabled": True}
    assert (await client.post("/v2/bot/message/push", json=body)).status_code == 200
    (record,) = (await client.get("/emulator/messages", params={"user_id": user(1)})).json()
    assert record["silent"] is True
    wrong = await client.post("/v2/bot/message/push", json=body | {"notificationDisabled": "yes"})
    assert wrong.status_code == 400
    assert wrong.json()["details"] == [
        {"message": "must be true or false", "property": "notificationDisabled"}
    ]


async def test_quote_tokens_only_for_quotable_messages(client):
    await befriend(client, user(1))
    flex = {
        "type": "flex",
        "altText": "a",
        "contents": {
            "type": "bubble",
            "body": {"type": "box", "layout": "vertical", "contents": []},
        },
    }
    response = await push(client, user(1), [text(), flex])
    first, second = response.json()["sentMessages"]
    assert "quoteToken" in first and set(second) == {"id"}


async def test_push_to_blocked_or_unknown_user_answers_200_but_is_not_delivered(client, state):
    await befriend(client, user(1))
    await client.post(f"/emulator/users/{user(1)}/unfollow")

    blocked = await push(client, user(1), [text()])
    stranger = await push(client, user(2), [text()])

    assert blocked.status_code == stranger.status_code == 200
    assert len(blocked.json()["sentMessages"]) == 1
    records = (await client.get("/emulator/messages")).json()
    assert [(r["to"], r["delivered"], r["reason"]) for r in records] == [
        (user(1), False, "blocked"),
        (user(2), False, "not a friend"),
    ]
    assert state.consumption == 0  # undelivered messages are not counted


async def test_authentication(client, base_url, state):
    body = {"to": user(1), "messages": [text()]}
    async with httpx.AsyncClient(base_url=base_url) as anonymous:
        responses = [await anonymous.post("/v2/bot/message/push", json=body)]
    for authorization in ("Bearer wrong", f"Basic {TOKEN}", "Bearer", TOKEN):
        headers = {"Authorization": authorization}
        responses.append(await client.post("/v2/bot/message/push", json=body, headers=headers))
    for response in responses:
        assert response.status_code == 401
        assert response.json() == {"message": AUTH_FAILED}
        assert _is_uuid(response.headers["x-line-request-id"])
    assert state.deliveries == []

    state.config.access_token = None  # accept any bearer token
    headers = {"Authorization": "Bearer whatever"}
    response = await client.post("/v2/bot/message/push", json=body, headers=headers)
    assert response.status_code == 200


async def test_bad_json_and_bad_recipient(client, state):
    response = await client.post(
        "/v2/bot/message/push", content=b'{"to": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("The request body could not be parsed as JSON")

    response = await client.post(
        "/v2/bot/message/push", content=b"{}", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.json() == {"message": "The content type, 'text/plain', is not supported"}

    for to in ["U123", "u" + "0" * 32, "U" + "A" * 32, 42, ["U" + "0" * 32]]:
        response = await push(client, to, [text()])
        assert response.status_code == 400, to
        assert response.json() == {"message": INVALID_TO}
    assert state.deliveries == []


async def test_invalid_messages_answer_details(client, state):
    response = await push(client, user(1), [{"type": "text", "text": "a" * 5001}, {"type": "nope"}])
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "The request body has 2 error(s)"
    assert body["details"][0] == {
        "message": "must be at most 5000 UTF-16 code units (got 5001)",
        "property": "messages[0].text",
    }
    assert body["details"][1]["property"] == "messages[1].type"

    response = await client.post("/v2/bot/message/push", json={"to": user(1)})
    assert response.json() == {
        "message": "The request body has 1 error(s)",
        "details": [{"message": "must be specified", "property": "messages"}],
    }
    response = await push(client, user(1), [text()] * 6)
    assert response.status_code == 400
    assert response.json()["details"] == [
        {"message": "must contain at most 5 messages (got 6)", "property": "messages"}
    ]
    assert state.deliveries == []


async def test_retry_key_must_be_a_uuid(client, state):
    for key in [
        "abc",
        "123e4567e89b12d3a456426614174000",
        "{123e4567-e89b-12d3-a456-426614174000}",
    ]:
        response = await push(client, user(1), [text()], key)
        assert response.status_code == 400, key
        assert "X-Line-Retry-Key" in response.json()["message"]
    assert state.deliveries == []


async def test_same_retry_key_after_success_is_409_with_the_first_request_id(client, state):
    await befriend(client, user(1))
    key = retry_key()
    first = await push(client, user(1), [text("once")], key)
    second = await push(client, user(1), [text("once")], key)

    assert first.status_code == 200 and second.status_code == 409
    assert second.json() == {
        "message": RETRY_KEY_ACCEPTED,
        "sentMessages": first.json()["sentMessages"],
    }
    assert second.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
    assert second.headers["x-line-request-id"] != first.headers["x-line-request-id"]
    assert len(state.deliveries) == 1 and state.consumption == 1

    # The key is honoured for 24 hours only.
    state.clock.now += RETRY_KEY_LIFETIME + 1
    third = await push(client, user(1), [text("once")], key)
    assert third.status_code == 200 and len(state.deliveries) == 2


async def test_refused_requests_do_not_burn_the_retry_key(client, state):
    await befriend(client, user(1))
    key = retry_key()
    invalid = await push(client, user(1), [{"type": "text"}], key)
    assert invalid.status_code == 400
    await client.post("/emulator/faults", json={"status": 500})
    failed = await push(client, user(1), [text()], key)
    assert failed.status_code == 500
    assert failed.json() == {"message": "An error occurred"}

    accepted = await push(client, user(1), [text()], key)
    assert accepted.status_code == 200
    assert [d.request_id for d in state.deliveries] == [accepted.headers["x-line-request-id"]]


async def test_multicast_records_one_delivery_per_recipient(client, state):
    await befriend(client, user(1), user(2))
    await client.post(f"/emulator/users/{user(2)}/unfollow")
    key = retry_key()
    body = {"to": [user(1), user(2), user(3)], "messages": [text("all")]}
    response = await client.post(
        "/v2/bot/message/multicast", json=body, headers={"X-Line-Retry-Key": key}
    )

    assert response.status_code == 200
    assert response.json() == {}  # MulticastResponse is an empty object
    records = (await client.get("/emulator/messages")).json()
    assert [(r["to"], r["delivered"], r["reason"]) for r in records] == [
        (user(1), True, None),
        (user(2), False, "blocked"),
        (user(3), False, "not a friend"),
    ]
    assert {r["request_id"] for r in records} == {response.headers["x-line-request-id"]}
    assert state.consumption == 1

    again = await client.post(
        "/v2/bot/message/multicast", json=body, headers={"X-Line-Retry-Key": key}
    )
    assert again.status_code == 409
    assert again.json() == {"message": RETRY_KEY_ACCEPTED}
    assert again.headers["x-line-accepted-request-id"] == response.headers["x-line-request-id"]

    bad = await client.post("/v2/bot/message/multicast", json={"to": [], "messages": [text()]})
    assert bad.status_code == 400
    assert bad.json()["details"] == [
        {"message": "size must be between 1 and 500", "property": "to"}
    ]
    bad = await client.post("/v2/bot/message/multicast", json={"to": user(1), "messages": [text()]})
    assert bad.json() == {"message": INVALID_TO}
