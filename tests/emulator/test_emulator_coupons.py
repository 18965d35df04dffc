"""The Coupon API: create, detail, list, close; a push refuses a coupon it cannot send."""

import pytest
from linebot.v3.messaging import (
    ApiException,
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    CouponCreateRequest,
)

from emulator.coupons import ALREADY_CLOSED, UNAVAILABLE

from .conftest import TOKEN, befriend, push, user

START = 1_780_000_000  # the FakeClock's moment
DAY = 86_400


def coupon(**overrides) -> dict:
    body = {
        "title": "10% off",
        "description": "Show this screen at the till",
        "acquisitionCondition": {"type": "normal"},
        "startTimestamp": START - DAY,
        "endTimestamp": START + 30 * DAY,
        "maxUseCountPerTicket": 1,
        "visibility": "UNLISTED",
        "timezone": "ASIA_TOKYO",
        "reward": {"type": "discount", "priceInfo": {"type": "percentage", "percentage": 10}},
    }
    return body | overrides


async def create(client, **overrides) -> str:
    answer = await client.post("/v2/bot/coupon", json=coupon(**overrides))
    assert answer.status_code == 200, answer.text
    return answer.json()["couponId"]


async def test_a_coupon_is_created_and_read_back_running(client, state):
    coupon_id = await create(client)
    assert len(coupon_id) == 26  # a ULID, like LINE's 01JYNW8JMQVFBNWF1APF8Z3FS7

    detail = (await client.get(f"/v2/bot/coupon/{coupon_id}")).json()
    assert detail["couponId"] == coupon_id
    assert detail["status"] == "RUNNING"
    assert detail["title"] == "10% off"
    assert detail["endTimestamp"] == START + 30 * DAY
    assert detail["reward"]["priceInfo"] == {"type": "percentage", "percentage": 10}
    assert detail["createdTimestamp"] == START


async def test_create_refuses_what_the_spec_refuses_naming_each_property(client, state):
    bad = coupon(title="", endTimestamp=START - 2 * DAY, timezone="MARS")
    bad["reward"]["priceInfo"]["percentage"] = 100
    del bad["visibility"]
    answer = await client.post("/v2/bot/coupon", json=bad)
    assert answer.status_code == 400
    properties = {d["property"] for d in answer.json()["details"]}
    assert properties == {"title", "timezone", "visibility", "reward.priceInfo.percentage"}
    assert state.coupons == {}

    answer = await client.post("/v2/bot/coupon", json=coupon(endTimestamp=START - 2 * DAY))
    assert answer.status_code == 400
    assert answer.json()["details"] == [
        {"message": "must be after startTimestamp", "property": "endTimestamp"}
    ]


async def test_an_unknown_coupon_is_404_and_the_token_is_checked(client, state):
    assert (await client.get("/v2/bot/coupon/01JXXXXXXXXXXXXXXXXXXXXXXX")).status_code == 404
    answer = await client.put("/v2/bot/coupon/01JXXXXXXXXXXXXXXXXXXXXXXX/close")
    assert answer.status_code == 404
    answer = await client.get("/v2/bot/coupon", headers={"Authorization": "Bearer nope"})
    assert answer.status_code == 401


async def test_close_then_closed_and_a_second_close_is_gone(client, state):
    coupon_id = await create(client)
    assert (await client.put(f"/v2/bot/coupon/{coupon_id}/close")).status_code == 200
    detail = (await client.get(f"/v2/bot/coupon/{coupon_id}")).json()
    assert detail["status"] == "CLOSED"
    again = await client.put(f"/v2/bot/coupon/{coupon_id}/close")
    assert again.status_code == 410
    assert again.json()["message"] == ALREADY_CLOSED


async def test_a_coupon_past_its_end_is_closed(client, state):
    coupon_id = await create(client, endTimestamp=START + 60)
    assert (await client.get(f"/v2/bot/coupon/{coupon_id}")).json()["status"] == "RUNNING"
    state.clock.now += 61
    assert (await client.get(f"/v2/bot/coupon/{coupon_id}")).json()["status"] == "CLOSED"


async def test_the_expire_control_ends_the_validity_now(client, state):
    coupon_id = await create(client)
    answer = await client.post(f"/emulator/coupons/{coupon_id}/expire")
    assert answer.status_code == 200
    assert answer.json()["endTimestamp"] == START
    assert answer.json()["status"] == "CLOSED"
    assert (await client.post("/emulator/coupons/nope/expire")).status_code == 404


async def test_list_filters_by_status_and_pages(client, state):
    ids = [await create(client, title=f"c{n}") for n in range(3)]
    await client.put(f"/v2/bot/coupon/{ids[1]}/close")
    running = (await client.get("/v2/bot/coupon", params={"status": "RUNNING"})).json()
    assert [item["couponId"] for item in running["items"]] == [ids[0], ids[2]]
    page = (await client.get("/v2/bot/coupon", params={"limit": 2})).json()
    assert [item["title"] for item in page["items"]] == ["c0", "c1"]
    rest = (await client.get("/v2/bot/coupon", params={"limit": 2, "start": page["next"]})).json()
    assert [item["title"] for item in rest["items"]] == ["c2"] and "next" not in rest
    assert (await client.get("/v2/bot/coupon", params={"status": "GONE"})).status_code == 400


async def test_a_push_sends_a_running_coupon_and_refuses_a_closed_or_unknown_one(client, state):
    await befriend(client, user(1))
    good, closed = await create(client), await create(client)
    await client.put(f"/v2/bot/coupon/{closed}/close")

    sent = await push(client, user(1), [{"type": "coupon", "couponId": good}])
    assert sent.status_code == 200

    for coupon_id in (closed, "01JXXXXXXXXXXXXXXXXXXXXXXX"):
        refused = await push(
            client,
            user(1),
            [{"type": "text", "text": "hi"}, {"type": "coupon", "couponId": coupon_id}],
        )
        assert refused.status_code == 400
        assert refused.json()["details"] == [
            {"message": UNAVAILABLE, "property": "messages[1].couponId"}
        ]
    assert [d.messages[0]["couponId"] for d in state.deliveries] == [good]


@pytest.fixture
async def line(base_url):
    async with AsyncApiClient(Configuration(host=base_url, access_token=TOKEN)) as api_client:
        yield AsyncMessagingApi(api_client)


async def test_the_sdk_creates_reads_lists_and_closes(line, state):
    created = await line.create_coupon(CouponCreateRequest.from_dict(coupon()))
    detail = await line.get_coupon_detail(created.coupon_id)
    assert (detail.status, detail.title) == ("RUNNING", "10% off")
    listed = await line.list_coupon()
    assert [item.coupon_id for item in listed.items] == [created.coupon_id]
    await line.close_coupon(created.coupon_id)
    assert (await line.get_coupon_detail(created.coupon_id)).status == "CLOSED"
    with pytest.raises(ApiException) as caught:
        await line.get_coupon_detail("01JXXXXXXXXXXXXXXXXXXXXXXX")
    assert caught.value.status == 404


async def test_a_coupon_seeded_with_its_id_can_be_pushed(client, state):
    await befriend(client, user(2))
    seeded = await client.put("/emulator/coupons/01JCOUPON0000000000000000042")
    assert (seeded.status_code, seeded.json()["status"]) == (200, "RUNNING")
    message = {"type": "coupon", "couponId": "01JCOUPON0000000000000000042"}
    assert (await push(client, user(2), [message])).status_code == 200
    detail = (await client.get("/v2/bot/coupon/01JCOUPON0000000000000000042")).json()
    assert detail["endTimestamp"] == START + 365 * DAY
