"""Monthly quota, consumption, and the per-second rate limit."""

from datetime import datetime

from emulator.line_api import MONTHLY_LIMIT, RATE_LIMITED
from emulator.state import JST

from .conftest import befriend, push, retry_key, text, user


async def test_quota_endpoints(client, state):
    assert (await client.get("/v2/bot/message/quota")).json() == {"type": "none"}
    response = await client.put("/emulator/quota", json={"monthly_quota": 200, "consumption": 12})
    assert response.json() == {"monthly_quota": 200, "consumption": 12}
    quota = await client.get("/v2/bot/message/quota")
    assert quota.status_code == 200 and quota.json() == {"type": "limited", "value": 200}
    consumption = await client.get("/v2/bot/message/quota/consumption")
    assert consumption.json() == {"totalUsage": 12}
    assert "x-line-request-id" in consumption.headers


async def test_monthly_limit_refuses_and_does_not_accept(client, state):
    await befriend(client, user(1), user(2), user(3))
    await client.put("/emulator/quota", json={"monthly_quota": 3, "consumption": 1})

    body = {"to": [user(1), user(2), user(3)], "messages": [text()]}
    too_many = await client.post("/v2/bot/message/multicast", json=body)
    assert too_many.status_code == 429
    assert too_many.json() == {"message": MONTHLY_LIMIT}

    key = retry_key()
    assert (await push(client, user(1), [text()], key)).status_code == 200
    assert (await push(client, user(2), [text()])).status_code == 200
    over = await push(client, user(3), [text()])
    assert over.status_code == 429 and over.json() == {"message": MONTHLY_LIMIT}
    # A repeat of an accepted request is still a 409, not a 429.
    assert (await push(client, user(1), [text()], key)).status_code == 409
    # Messages to a blocked user are not counted, so they do not hit the limit.
    await client.post(f"/emulator/users/{user(3)}/unfollow")
    assert (await push(client, user(3), [text()])).status_code == 200

    assert (await client.get("/v2/bot/message/quota/consumption")).json() == {"totalUsage": 3}
    assert [d.to for d in state.deliveries] == [user(1), user(2), user(3)]

    await client.put("/emulator/quota", json={"monthly_quota": None})
    assert (await push(client, user(1), [text()])).status_code == 200


async def test_consumption_restarts_each_month_in_japan_time(state):
    state.clock.now = datetime(2026, 5, 31, 23, 59, tzinfo=JST).timestamp()
    state.consumption = 500
    state.clock.now = datetime(2026, 6, 1, 0, 0, tzinfo=JST).timestamp()
    assert state.consumption == 0


async def test_rate_limit_per_second(client, state):
    await befriend(client, user(1))
    state.config.rate_limit_per_second = 3
    answers = [await push(client, user(1), [text()]) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].json() == {"message": RATE_LIMITED}
    assert RATE_LIMITED != MONTHLY_LIMIT
    # Other endpoints have their own window.
    assert (await client.get("/v2/bot/message/quota")).status_code == 200

    state.clock.now += 1.0
    assert (await push(client, user(1), [text()])).status_code == 200
    assert len(state.deliveries) == 4


async def test_retry_key_is_refused_by_apis_that_do_not_support_it(client):
    response = await client.get("/v2/bot/message/quota", headers={"X-Line-Retry-Key": retry_key()})
    assert response.status_code == 400
