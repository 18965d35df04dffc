"""The webhook signature is checked in constant time over the raw body; route-link states
cannot be guessed or enumerated."""

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qs, urlsplit

import httpx
import linebot.v3.webhook

from store import joins
from store.tables import Friend, JoinRequest, WebhookEvent
from tests.api.helpers import count, sign
from tests.api.test_webhook import follow
from tests.support.stack import CHANNEL_SECRET, user


def _digest(body: bytes) -> bytes:
    return base64.b64encode(hmac.new(CHANNEL_SECRET.encode(), body, hashlib.sha256).digest())


async def test_webhook_signature_is_compared_in_constant_time_over_the_raw_body(stack, monkeypatch):
    calls: list[tuple[bytes, bytes]] = []
    real = linebot.v3.webhook.hmac.compare_digest

    def spy(given, expected):
        calls.append((given, expected))
        return real(given, expected)

    monkeypatch.setattr(linebot.v3.webhook.hmac, "compare_digest", spy)
    event = follow(user(700), event_id="01JRAWBODY0000000000000000")
    # odd spacing and key order: the signature covers these very bytes, not a re-encoding
    raw = '{ "events" : [' + json.dumps(event, indent=3) + '],"destination":"U' + "f" * 32 + '"}'
    raw = raw.encode()
    same_json = json.dumps(json.loads(raw)).encode()  # equal content, other bytes
    async with httpx.AsyncClient(base_url=str(stack.api.base_url)) as line:
        refused = await line.post(
            "/webhooks/line", content=same_json, headers={"X-Line-Signature": sign(raw)}
        )
        assert refused.status_code == 400
        assert await count(stack, WebhookEvent) == 0
        accepted = await line.post(
            "/webhooks/line", content=raw, headers={"X-Line-Signature": sign(raw)}
        )
        assert accepted.status_code == 200
    assert calls == [
        (sign(raw).encode(), _digest(same_json)),
        (sign(raw).encode(), _digest(raw)),
    ]
    await stack.settle()
    assert await count(stack, WebhookEvent) == 1


async def test_route_link_states_are_long_random_and_distinct(stack):
    async with stack.db.session() as session:
        states = [(await joins.start(session, route="qr_shop")).state for _ in range(300)]
    assert len(set(states)) == len(states)
    assert all(len(state) >= 43 for state in states)  # 256 random bits, URL-safe


async def test_a_near_miss_route_state_is_refused_and_changes_nothing(join_stack):
    async with join_stack() as s:
        params = await s.open_link()
        callback = await s.log_in(params, user(701))
        code = parse_qs(urlsplit(callback).query)["code"][0]
        state = params["state"]
        for guess in {state[:-1] + ("A" if state[-1] != "A" else "B"), state[:-1], state + "A"}:
            answer = await s.http.get(
                f"{s.api_url}/join/callback", params={"code": code, "state": guess}
            )
            assert answer.status_code == 400, guess
        assert (await s.join_request(state)).completed_at is None
        assert s.emulator.calls["token"] == 0
        async with s.db.session() as session:
            assert await session.get(Friend, user(701)) is None or (
                (await session.get(Friend, user(701))).route == "unknown"
            )
            assert await session.get(JoinRequest, state) is not None
