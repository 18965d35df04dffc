"""Secrets and tokens: the channel secret, the access token and the admin token never reach
logs, error answers or Temporal histories; link tokens cannot be guessed or enumerated; the
admin token is compared in constant time."""

import json
import logging

import api.deps
from emulator.config import DEFAULT_LOGIN_CHANNEL_SECRET
from store import links
from tests.support.stack import ACCESS_TOKEN, ADMIN_TOKEN, CHANNEL_SECRET, user
from tests.workflows.test_failures import scenario, text, wait

SECRETS = (ACCESS_TOKEN, CHANNEL_SECRET, ADMIN_TOKEN, DEFAULT_LOGIN_CHANNEL_SECRET)
JOURNEY = scenario(
    text("hello", "Hello {displayName} https://shop.example/a"),
    wait("w", "PT1H"),
    {
        "id": "b",
        "type": "branch",
        "branches": [{"label": "x", "when": {"clicked": "hello"}, "steps": [text("c", "Clicked")]}],
        "otherwise": [text("n", "Not clicked")],
    },
)


def leaked(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


async def test_no_secret_in_histories_logs_or_answers(stack, caplog):
    caplog.set_level(logging.DEBUG)
    scenario_id = await stack.scenario(JOURNEY)
    friend = user(900)
    await stack.follow(friend, display_name="Aki")
    await stack.outcome(scenario_id, friend)
    await stack.unfollow(friend)

    history = await stack.enrollment(scenario_id, friend).fetch_history()
    assert leaked(json.dumps(history.to_json_dict())) == []
    assert leaked(caplog.text) == []
    refused = await stack.api.get("/scenarios", headers={"Authorization": f"Bearer {ADMIN_TOKEN}x"})
    assert refused.status_code == 401 and leaked(refused.text) == []
    bad_signature = await stack.api.post(
        "/webhooks/line", content=b'{"events": []}', headers={"X-Line-Signature": "nope"}
    )
    assert bad_signature.status_code == 400 and leaked(bad_signature.text) == []
    assert leaked(repr(stack.settings)) == [] and leaked(str(stack.settings)) == []


def test_link_tokens_are_long_random_and_distinct() -> None:
    tokens = [links.new_token() for _ in range(2000)]
    assert len(set(tokens)) == len(tokens)
    assert all(len(token) >= 22 for token in tokens)  # 128 random bits, URL-safe


async def test_a_near_miss_link_token_is_not_found(stack):
    scenario_id = await stack.scenario(scenario(text("hello", "See https://shop.example/a")))
    friend = user(901)
    await stack.follow(friend)
    await stack.outcome(scenario_id, friend)
    text_sent = (await stack.received(friend))[0]["messages"][0]["text"]
    token = text_sent.rsplit("/r/", 1)[1]
    assert (await stack.api.get(f"/r/{token}")).status_code == 302
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    for guess in (flipped, token[:-1], token + "A", token.upper()):
        if guess != token:
            assert (await stack.api.get(f"/r/{guess}")).status_code == 404


async def test_the_admin_token_is_compared_in_constant_time(stack, monkeypatch):
    calls: list[tuple[bytes, bytes]] = []
    real = api.deps.hmac.compare_digest

    def spy(given, expected):
        calls.append((given, expected))
        return real(given, expected)

    monkeypatch.setattr(api.deps.hmac, "compare_digest", spy)
    assert (await stack.api.get("/scenarios")).status_code == 200
    assert (
        await stack.api.get("/scenarios", headers={"Authorization": "Bearer x"})
    ).status_code == 401
    assert calls == [(ADMIN_TOKEN.encode(), ADMIN_TOKEN.encode()), (b"x", ADMIN_TOKEN.encode())]
