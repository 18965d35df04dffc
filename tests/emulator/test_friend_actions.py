"""A friend taps a postback option or sends a text: signed webhooks shaped like webhook.yml
(PostbackEvent, MessageEvent with a TextMessageContent), only from a friend who follows, and
what they sent kept in order for the chat view."""

import json
import re

import pytest
from linebot.v3 import WebhookParser
from linebot.v3.webhooks import MessageEvent, PostbackEvent, TextMessageContent

from emulator import chatscreen
from emulator.webhooks import sign

from .conftest import SECRET, befriend, push, text, user

ULID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
REPLY_TOKEN = re.compile(r"[0-9a-f]{32}")


def _sent(receiver) -> list[dict]:
    """Every event the bot received, each checked against its X-Line-Signature."""
    events = []
    for headers, raw in receiver.requests:
        assert headers["x-line-signature"] == sign(SECRET, raw)
        assert headers["user-agent"] == "LineBotWebhook/2.0"
        events += json.loads(raw)["events"]
    return events


def _parsed(receiver, index=-1):
    headers, raw = receiver.requests[index]
    return WebhookParser(SECRET).parse(raw.decode(), headers["x-line-signature"], as_payload=True)


def _common(event: dict, state, kind: str) -> dict:
    """The fields every event has, checked; the rest returned."""
    event = dict(event)
    assert ULID.fullmatch(event.pop("webhookEventId"))
    assert REPLY_TOKEN.fullmatch(event.pop("replyToken"))
    assert event.pop("type") == kind
    assert event.pop("mode") == "active"
    assert event.pop("timestamp") == int(state.clock() * 1000)
    assert event.pop("deliveryContext") == {"isRedelivery": False}
    return event


async def test_postback_with_display_text_and_params(client, state, receiver):
    await befriend(client, user(1))
    receiver.requests.clear()
    body = {
        "data": "survey=s1&answer=tea",
        "display_text": "Tea, please",
        "params": {"date": "2026-12-24"},
    }
    response = await client.post(f"/emulator/users/{user(1)}/postback", json=body)

    assert response.status_code == 200
    answer = response.json()
    assert answer["webhook_status"] == 200
    assert _common(answer["event"], state, "postback") == {
        "source": {"type": "user", "userId": user(1)},
        "postback": {"data": "survey=s1&answer=tea", "params": {"date": "2026-12-24"}},
    }
    # only the postback goes out: the displayText is shown in the chat, never sent
    assert _sent(receiver) == [answer["event"]]
    payload = _parsed(receiver)
    assert payload.destination == state.bot_user_id
    (event,) = payload.events
    assert isinstance(event, PostbackEvent)
    assert event.postback.data == "survey=s1&answer=tea"
    assert event.postback.params == {"date": "2026-12-24"}
    assert event.source.user_id == user(1) and event.reply_token

    (recorded,) = state.friend_messages
    assert (recorded.user_id, recorded.kind, recorded.text) == (user(1), "postback", "Tea, please")
    assert (recorded.data, recorded.params) == ("survey=s1&answer=tea", {"date": "2026-12-24"})


async def test_postback_without_display_text_has_no_params(client, state, receiver):
    await befriend(client, user(1))
    receiver.requests.clear()
    response = await client.post(f"/emulator/users/{user(1)}/postback", json={"data": ""})
    assert response.status_code == 200
    (event,) = _sent(receiver)
    assert _common(event, state, "postback") == {
        "source": {"type": "user", "userId": user(1)},
        "postback": {"data": ""},  # LINE allows empty data
    }
    (recorded,) = state.friend_messages
    assert recorded.text is None and recorded.data == "" and recorded.params is None


async def test_text_message_is_a_message_event_with_text_content(client, state, receiver):
    await befriend(client, user(2))
    receiver.requests.clear()
    response = await client.post(
        f"/emulator/users/{user(2)}/message", json={"text": "What time do you open? 😀"}
    )

    assert response.status_code == 200 and response.json()["webhook_status"] == 200
    (event,) = _sent(receiver)
    assert event == response.json()["event"]
    rest = _common(event, state, "message")
    message = rest.pop("message")
    assert rest == {"source": {"type": "user", "userId": user(2)}}
    assert re.fullmatch(r"\d{18}", message.pop("id"))
    assert len(message.pop("quoteToken")) >= 64
    assert message == {"type": "text", "text": "What time do you open? 😀"}
    (parsed,) = _parsed(receiver).events
    assert isinstance(parsed, MessageEvent) and isinstance(parsed.message, TextMessageContent)
    assert parsed.message.text == "What time do you open? 😀"
    assert parsed.message.quote_token and parsed.reply_token

    again = await client.post(f"/emulator/users/{user(2)}/message", json={"text": "Hello?"})
    ids = [e["message"]["id"] for e in _sent(receiver)]
    assert again.status_code == 200 and len(set(ids)) == 2 and int(ids[1]) > int(ids[0])


@pytest.mark.parametrize(
    ("path", "body"),
    [("postback", {"data": "a=1", "display_text": "A"}), ("message", {"text": "hi"})],
)
async def test_blocked_or_unknown_user_is_refused_and_nothing_sent(
    client, state, receiver, path, body
):
    unknown = await client.post(f"/emulator/users/{user(3)}/{path}", json=body)
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == (
        f"no user {user(3)} in the emulator: follow the account first"
    )

    await befriend(client, user(4))
    await client.post(f"/emulator/users/{user(4)}/unfollow")
    receiver.requests.clear()
    blocked = await client.post(f"/emulator/users/{user(4)}/{path}", json=body)
    assert blocked.status_code == 409
    assert "has blocked the account" in blocked.json()["detail"]
    assert "LINE sends no events from a user who blocked" in blocked.json()["detail"]
    assert receiver.requests == [] and state.friend_messages == []

    await client.post(f"/emulator/users/{user(4)}/follow")  # unblocked: may act again
    assert (await client.post(f"/emulator/users/{user(4)}/{path}", json=body)).status_code == 200
    assert len(state.friend_messages) == 1


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("message", {"text": ""}, "text"),
        ("message", {"text": "  \n "}, "text"),
        ("message", {"text": "x" * 5001}, "text"),
        ("message", {}, "text"),
        ("postback", {}, "data"),
        ("postback", {"data": "x" * 301}, "data"),
        ("postback", {"data": "a", "display_text": "y" * 301}, "display_text"),
        ("postback", {"data": "a", "params": {"date": 5}}, "params"),
    ],
)
async def test_bad_input_is_422_naming_the_field(client, state, receiver, path, body, field):
    await befriend(client, user(5))
    receiver.requests.clear()
    response = await client.post(f"/emulator/users/{user(5)}/{path}", json=body)
    assert response.status_code == 422
    assert field in [str(part) for error in response.json()["detail"] for part in error["loc"]]
    assert receiver.requests == [] and state.friend_messages == []


async def test_malformed_user_id_is_422(client, receiver):
    response = await client.post("/emulator/users/nobody/message", json={"text": "hi"})
    assert response.status_code == 422 and "32 lowercase hex" in response.json()["detail"]
    assert receiver.requests == []


async def test_friend_messages_are_kept_in_order_among_the_pushes(client, state, receiver):
    await befriend(client, user(6), user(7))
    await push(client, user(6), [text("Which drink?")])
    await client.post(f"/emulator/users/{user(6)}/message", json={"text": "first"})
    await client.post(
        f"/emulator/users/{user(6)}/postback", json={"data": "drink=tea", "display_text": "Tea"}
    )
    await client.post(f"/emulator/users/{user(7)}/message", json={"text": "someone else"})
    await client.post(f"/emulator/users/{user(6)}/postback", json={"data": "silent=1"})
    await push(client, user(6), [text("Tea it is")])
    await client.post(f"/emulator/users/{user(6)}/message", json={"text": "thanks"})

    listed = (await client.get("/emulator/friend-messages", params={"user_id": user(6)})).json()
    assert [(m["kind"], m["text"], m["data"]) for m in listed] == [
        ("message", "first", None),
        ("postback", "Tea", "drink=tea"),
        ("postback", None, "silent=1"),
        ("message", "thanks", None),
    ]
    assert listed[0]["at"] == state.now().isoformat()
    everyone = (await client.get("/emulator/friend-messages")).json()
    assert [m["user_id"] for m in everyone] == [user(6), user(6), user(7), user(6), user(6)]

    # the chat: the same clock for everything, yet each in the order it happened
    (today,) = chatscreen.conversation(state, user(6))
    shown = [
        ("friend", e.text or e.data) if e.from_friend else ("oa", e.messages[0]["text"])
        for e in today.entries
    ]
    assert shown == [
        ("oa", "Which drink?"),
        ("friend", "first"),
        ("friend", "Tea"),
        ("friend", "silent=1"),
        ("oa", "Tea it is"),
        ("friend", "thanks"),
    ]
    kinds = [json.loads(raw)["events"][0]["type"] for _, raw in receiver.requests]
    assert kinds == ["follow", "follow", "message", "postback", "message", "postback", "message"]


async def test_without_a_webhook_url_the_friend_still_sends(client, state, receiver):
    await befriend(client, user(8))
    state.config.webhook_url = None
    receiver.requests.clear()
    answer = await client.post(f"/emulator/users/{user(8)}/message", json={"text": "hi"})
    assert answer.status_code == 200
    assert answer.json()["webhook_status"] is None and answer.json()["event"]["type"] == "message"
    assert receiver.requests == [] and state.friend_messages[0].text == "hi"


async def test_reset_forgets_what_friends_sent(client, state):
    await befriend(client, user(9))
    await client.post(f"/emulator/users/{user(9)}/message", json={"text": "hi"})
    assert (await client.post("/emulator/reset")).status_code == 200
    assert state.friend_messages == []
    assert (await client.get("/emulator/friend-messages")).json() == []
