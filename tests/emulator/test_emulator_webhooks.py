"""Follow / unfollow / raw webhooks: signed like LINE, shaped like webhook.yml; profiles."""

import json
import re

import pytest
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.webhooks import FollowEvent, UnfollowEvent

from emulator.webhooks import sign

from .conftest import SECRET, user

ULID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")


def _parse(receiver, index=-1):
    headers, body = receiver.requests[index]
    return WebhookParser(SECRET).parse(body.decode(), headers["x-line-signature"], as_payload=True)


async def test_follow_sends_a_signed_follow_event(client, receiver, state):
    body = {"display_name": "Sato", "language": "ja"}
    response = await client.post(f"/emulator/users/{user(1)}/follow", json=body)

    assert response.status_code == 200
    answer = response.json()
    assert answer["webhook_status"] == 200
    event = dict(answer["event"])
    assert ULID.fullmatch(event.pop("webhookEventId"))
    assert re.fullmatch(r"[0-9a-f]{32}", event.pop("replyToken"))
    assert event == {
        "type": "follow",
        "mode": "active",
        "timestamp": int(state.clock() * 1000),
        "source": {"type": "user", "userId": user(1)},
        "deliveryContext": {"isRedelivery": False},
        "follow": {"isUnblocked": False},
    }
    headers, raw = receiver.requests[0]
    assert headers["content-type"].startswith("application/json")
    assert headers["x-line-signature"] == sign(SECRET, raw)
    payload = _parse(receiver)
    assert payload.destination == state.bot_user_id
    assert re.fullmatch(r"U[0-9a-f]{32}", state.bot_user_id)
    (parsed,) = payload.events
    assert isinstance(parsed, FollowEvent)
    assert parsed.source.user_id == user(1) and parsed.follow.is_unblocked is False
    assert json.loads(raw)["events"][0]["webhookEventId"] == answer["event"]["webhookEventId"]

    users = (await client.get("/emulator/users")).json()
    assert users == [{"user_id": user(1), "state": "friend", "display_name": "Sato"}]
    profile = await client.get(f"/v2/bot/profile/{user(1)}")
    assert profile.status_code == 200
    assert profile.json() == {"userId": user(1), "displayName": "Sato", "language": "ja"}


async def test_unfollow_then_follow_again_is_an_unblock(client, receiver):
    await client.post(f"/emulator/users/{user(1)}/follow")
    response = await client.post(f"/emulator/users/{user(1)}/unfollow")
    event = response.json()["event"]
    assert response.json()["webhook_status"] == 200
    assert event["type"] == "unfollow" and "replyToken" not in event
    assert isinstance(_parse(receiver).events[0], UnfollowEvent)
    assert (await client.get("/emulator/users")).json()[0]["state"] == "blocked"
    blocked = await client.get(f"/v2/bot/profile/{user(1)}")
    assert blocked.status_code == 404 and blocked.json() == {"message": "Not found"}

    again = await client.post(f"/emulator/users/{user(1)}/follow")
    assert again.json()["event"]["follow"] == {"isUnblocked": True}
    assert _parse(receiver).events[0].follow.is_unblocked is True
    ids = [json.loads(raw)["events"][0]["webhookEventId"] for _, raw in receiver.requests]
    assert len(set(ids)) == 3


async def test_profile_of_a_stranger_is_404(client):
    response = await client.get(f"/v2/bot/profile/{user(9)}")
    assert response.status_code == 404 and response.json() == {"message": "Not found"}


async def test_webhook_status_is_reported_and_null_without_a_url(client, receiver, state):
    receiver.status = 500
    response = await client.post(f"/emulator/users/{user(1)}/follow")
    assert response.json()["webhook_status"] == 500
    state.config.webhook_url = None
    response = await client.post(f"/emulator/users/{user(2)}/follow")
    assert response.json()["webhook_status"] is None
    assert len(receiver.requests) == 1
    assert [u["user_id"] for u in (await client.get("/emulator/users")).json()] == [
        user(1),
        user(2),
    ]


async def test_unreachable_webhook_is_reported(client, state):
    state.config.webhook_url = "http://127.0.0.1:9/webhooks/line"
    answer = (await client.post(f"/emulator/users/{user(1)}/follow")).json()
    assert answer["webhook_status"] is None and answer["webhook_error"]
    assert state.users[user(1)].state == "friend"


async def test_control_rejects_malformed_user_ids(client):
    response = await client.post("/emulator/users/Ubob/follow")
    assert response.status_code == 422


async def test_raw_webhook_events_for_redelivery_and_bad_signatures(client, receiver):
    follow = (await client.post(f"/emulator/users/{user(1)}/follow")).json()["event"]
    redelivered = follow | {"deliveryContext": {"isRedelivery": True}}
    response = await client.post("/emulator/webhooks", json={"events": [redelivered, follow]})
    assert response.json() == {"webhook_status": 200, "body": "OK"}
    events = _parse(receiver).events
    assert [e.webhook_event_id for e in events] == [follow["webhookEventId"]] * 2
    assert events[0].delivery_context.is_redelivery is True

    response = await client.post(
        "/emulator/webhooks", json={"events": [follow], "signature": "c2lnbmF0dXJl"}
    )
    assert response.json()["webhook_status"] == 200  # the stand-in receiver does not check
    headers, raw = receiver.requests[-1]
    assert headers["x-line-signature"] == "c2lnbmF0dXJl"
    with pytest.raises(InvalidSignatureError):
        WebhookParser(SECRET).parse(raw.decode(), headers["x-line-signature"])


async def test_reset_clears_everything(client, state):
    await client.post(f"/emulator/users/{user(1)}/follow")
    await client.post("/emulator/faults", json={"status": 500})
    await client.put("/emulator/quota", json={"monthly_quota": 5, "consumption": 2})
    assert (await client.post("/emulator/reset")).status_code == 200
    assert (await client.get("/emulator/users")).json() == []
    assert (await client.get("/emulator/faults")).json() == []
    assert (await client.get("/emulator/quota")).json() == {"monthly_quota": None, "consumption": 0}
    assert (await client.get("/emulator/messages")).json() == []
