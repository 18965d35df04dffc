"""Injected faults: error statuses, delays, and accepted-then-dropped connections."""

import asyncio
import time

import aiohttp
import httpx

from emulator.line_api import RATE_LIMITED, RETRY_KEY_ACCEPTED

from .conftest import TOKEN, befriend, push, retry_key, text, user


async def test_status_faults_apply_in_order_and_are_not_accepted(client, state):
    await befriend(client, user(1))
    await client.post("/emulator/faults", json={"status": 500, "times": 2})
    queued = await client.post("/emulator/faults", json={"status": 429})
    assert [f["status"] for f in queued.json()] == [500, 429]
    await client.post("/emulator/faults", json={"status": 503, "message": "Service Unavailable"})

    answers = [await push(client, user(1), [text()]) for _ in range(5)]
    assert [a.status_code for a in answers] == [500, 500, 429, 503, 200]
    assert answers[0].json() == {"message": "An error occurred"}
    assert answers[2].json() == {"message": RATE_LIMITED}
    assert answers[3].json() == {"message": "Service Unavailable"}
    assert all("x-line-request-id" in a.headers for a in answers)
    assert [d.request_id for d in state.deliveries] == [answers[4].headers["x-line-request-id"]]
    assert (await client.get("/emulator/faults")).json() == []


async def test_faults_for_one_user_leave_others_alone(client, state):
    await befriend(client, user(1), user(2))
    await client.post("/emulator/faults", json={"status": 500, "user_id": user(2)})
    assert (await push(client, user(1), [text()])).status_code == 200
    assert (await push(client, user(2), [text()])).status_code == 500
    assert (await push(client, user(2), [text()])).status_code == 200
    body = {"to": [user(1), user(2)], "messages": [text()]}
    await client.post("/emulator/faults", json={"status": 500, "user_id": user(2)})
    assert (await client.post("/v2/bot/message/multicast", json=body)).status_code == 500


async def test_delete_faults(client):
    await befriend(client, user(1))
    await client.post("/emulator/faults", json={"status": 500, "times": 3})
    assert (await client.delete("/emulator/faults")).status_code == 200
    assert (await push(client, user(1), [text()])).status_code == 200


async def test_fault_body_is_checked(client):
    assert (await client.post("/emulator/faults", json={"times": 2})).status_code == 422
    assert (await client.post("/emulator/faults", json={"status": 200})).status_code == 422


async def test_delay_then_normal_answer(client, state):
    await befriend(client, user(1))
    await client.post("/emulator/faults", json={"delay_seconds": 0.3})
    started = time.monotonic()
    response = await push(client, user(1), [text()])
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3
    assert len(state.deliveries) == 1


async def test_delay_longer_than_the_client_timeout(base_url, state):
    """The client gives up, but LINE still accepts the request once its delay is over."""
    state.follow(user(1))
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=0.2) as short:
        await short.post("/emulator/faults", json={"delay_seconds": 0.4})
        try:
            await push(short, user(1), [text()])
        except httpx.ReadTimeout:
            pass
        else:
            raise AssertionError("expected a timeout")
    assert state.deliveries == []
    await asyncio.sleep(0.4)
    assert len(state.deliveries) == 1


async def test_accept_then_drop_fails_the_client_but_delivers(client, base_url, state):
    await befriend(client, user(1))
    await client.post("/emulator/faults", json={"accept_then_drop": True})
    key = retry_key()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=2) as short:
        try:
            await push(short, user(1), [text("only once")], key)
        except httpx.TransportError as exc:  # RemoteProtocolError: server disconnected
            assert not isinstance(exc, httpx.TimeoutException)
        else:
            raise AssertionError("the connection should have been dropped")

    records = (await client.get("/emulator/messages")).json()
    assert len(records) == 1 and records[0]["delivered"] is True and records[0]["retry_key"] == key
    dropped_request_id = records[0]["request_id"]

    retry = await push(client, user(1), [text("only once")], key)
    assert retry.status_code == 409
    assert retry.json()["message"] == RETRY_KEY_ACCEPTED
    assert retry.headers["x-line-accepted-request-id"] == dropped_request_id
    assert len(state.deliveries) == 1 and state.consumption == 1


async def test_accept_then_drop_with_aiohttp(base_url, state):
    state.follow(user(1))
    state.faults.clear()
    async with aiohttp.ClientSession(
        base_url, headers={"Authorization": f"Bearer {TOKEN}"}
    ) as session:
        async with session.post("/emulator/faults", json={"accept_then_drop": True}) as r:
            assert r.status == 200
        try:
            async with session.post(
                "/v2/bot/message/push",
                json={"to": user(1), "messages": [text()]},
                timeout=aiohttp.ClientTimeout(total=2),
            ):
                raise AssertionError("expected the connection to drop")
        except aiohttp.ServerDisconnectedError:
            pass
    assert len(state.deliveries) == 1


async def test_accept_then_drop_after_a_delay_looks_like_a_timeout(base_url, state):
    state.follow(user(1))
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=0.2) as short:
        await short.post("/emulator/faults", json={"accept_then_drop": True, "delay_seconds": 0.4})
        key = retry_key()
        try:
            await push(short, user(1), [text()], key)
        except httpx.ReadTimeout:
            pass
        else:
            raise AssertionError("expected a timeout")
        assert len(state.deliveries) == 1  # accepted before the silence
        retry = await push(short, user(1), [text()], key)
        assert retry.status_code == 409
    await asyncio.sleep(0.3)  # let the silent handler finish before the next test
