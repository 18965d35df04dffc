"""Coupons in message steps (one closed or past its end is skipped, the journey goes on) and
rich_menu steps switching a friend's rich menu per branch, on virtual time."""

from datetime import UTC, datetime, timedelta

from store.deliveries import deliveries_of
from store.enrollment_ids import enrollment_id
from tests.support.stack import ACCESS_TOKEN, user
from tests.workflows.test_failures import WELCOME, scenario, text, wait

LINE = {"Authorization": f"Bearer {ACCESS_TOKEN}"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def coupon_body(title: str = "10% off") -> dict:
    """What POST /coupons takes: LINE's CouponCreateRequest, the defaults left out."""
    return {
        "title": title,
        "startTimestamp": 1_700_000_000,
        "endTimestamp": 4_000_000_000,
        "reward": {"type": "discount", "priceInfo": {"type": "percentage", "percentage": 10}},
    }


async def new_coupon(stack, title: str = "10% off") -> str:
    answer = await stack.api.post("/coupons", json=coupon_body(title))
    assert answer.status_code == 201, answer.text
    return answer.json()["coupon_id"]


def coupon_step(step_id: str, coupon_id: str) -> dict:
    message = {"type": "coupon", "couponId": coupon_id, "deliveryTag": "step"}
    return {"id": step_id, "type": "message", "messages": [message]}


async def deliveries(stack, scenario_id: str, user_id: str) -> dict[str, tuple[str, str | None]]:
    key = enrollment_id(scenario_id=scenario_id, user_id=user_id, epoch=1)
    async with stack.db.reading() as session:
        rows = await deliveries_of(session, enrollment_id=key)
    return {row.step_id: (row.status, row.error) for row in rows}


async def test_an_expired_coupon_is_skipped_while_a_valid_one_is_sent(stack):
    valid, expiring = await new_coupon(stack), await new_coupon(stack, "Last chance")
    scenario_id = await stack.scenario(
        scenario(
            WELCOME,
            wait("day", "P1D"),
            coupon_step("gift", valid),
            coupon_step("late", expiring),
            text("bye", "See you"),
        )
    )
    friend = user(700)
    await stack.follow(friend)
    await stack.until_texts(friend, ["Welcome"])
    expired = await stack.emu.post(f"/emulator/coupons/{expiring}/expire")
    ended = expired.json()["endTimestamp"]

    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == ["Welcome", "coupon", "See you"]
    pushed = [m for push in await stack.received(friend) for m in push["messages"]]
    assert pushed[1] == {"type": "coupon", "couponId": valid, "deliveryTag": "step"}

    rows = await deliveries(stack, scenario_id, friend)
    assert rows["gift"] == ("sent", None)
    reason = f"coupon {expiring} expired at {datetime.fromtimestamp(ended, UTC).isoformat()}"
    assert rows["late"] == ("skipped", reason)
    assert rows["bye"] == ("sent", None)

    stats = (await stack.api.get(f"/scenarios/{scenario_id}/stats")).json()
    by_step = {step["id"]: step for step in stats["steps"]}
    assert (by_step["gift"]["sent"], by_step["gift"]["skipped"]) == (1, 0)
    assert (by_step["late"]["sent"], by_step["late"]["skipped"]) == (0, 1)
    assert stats["messages_sent"] == 3

    timeline = (await stack.api.get(f"/friends/{friend}/timeline")).json()["entries"]
    skipped = [entry for entry in timeline if entry["kind"] == "skipped"]
    assert [(e["step_id"], e["status"], e["reason"]) for e in skipped] == [
        ("late", "skipped", reason)
    ]


async def test_a_closed_coupon_is_skipped_and_the_journey_goes_on(stack):
    closing = await new_coupon(stack)
    scenario_id = await stack.scenario(
        scenario(WELCOME, wait("day", "P1D"), coupon_step("gift", closing), text("bye", "Bye"))
    )
    friend = user(701)
    await stack.follow(friend)
    await stack.until_texts(friend, ["Welcome"])
    closed = await stack.emu.put(f"/v2/bot/coupon/{closing}/close", headers=LINE)
    assert closed.status_code == 200

    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == ["Welcome", "Bye"]
    rows = await deliveries(stack, scenario_id, friend)
    assert rows["gift"] == ("skipped", f"coupon {closing} is closed")


async def test_a_coupon_unknown_to_line_is_skipped(stack):
    unknown = "01JXXXXXXXXXXXXXXXXXXXXXXX"
    scenario_id = await stack.scenario(scenario(coupon_step("gift", unknown), text("bye", "Bye")))
    friend = user(702)
    await stack.follow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == ["Bye"]
    rows = await deliveries(stack, scenario_id, friend)
    assert rows["gift"] == ("skipped", f"coupon {unknown} is unknown to LINE")


async def test_post_coupons_creates_reads_and_refuses(stack):
    coupon_id = await new_coupon(stack)
    assert stack.emulator.coupons[coupon_id]["visibility"] == "UNLISTED"  # a default filled in
    read = await stack.api.get(f"/coupons/{coupon_id}")
    assert read.status_code == 200
    assert (read.json()["couponId"], read.json()["status"]) == (coupon_id, "RUNNING")
    assert read.json()["endTimestamp"] == 4_000_000_000

    missing = await stack.api.get("/coupons/01JXXXXXXXXXXXXXXXXXXXXXXX")
    assert missing.status_code == 404

    bad = coupon_body("") | {"timezone": "MARS", "endTimestamp": 1}
    answer = await stack.api.post("/coupons", json=bad)
    assert answer.status_code == 422
    assert {p["path"] for p in answer.json()["detail"]} == {"title", "timezone"}
    far = await stack.api.post("/coupons", json=coupon_body() | {"endTimestamp": 10**20})
    assert [p["path"] for p in far.json()["detail"]] == ["endTimestamp"]
    backwards = await stack.api.post("/coupons", json=coupon_body() | {"endTimestamp": 1})
    assert backwards.status_code == 422
    assert backwards.json()["detail"][0]["path"] == "endTimestamp"

    # LINE's own rule (a ticket is used once or without limit) comes back with LINE's words
    refused = await stack.api.post("/coupons", json=coupon_body() | {"maxUseCountPerTicket": 0})
    assert refused.status_code == 400
    assert refused.json()["detail"].startswith("LINE answered 400: The request body has 1 error")
    assert "maxUseCountPerTicket: must be 1 or -1" in refused.json()["detail"]
    assert len(stack.emulator.coupons) == 1


async def rich_menu(stack, name: str) -> str:
    body = {
        "size": {"width": 2500, "height": 843},
        "selected": False,
        "name": name,
        "chatBarText": name,
        "areas": [
            {
                "bounds": {"x": 0, "y": 0, "width": 2500, "height": 843},
                "action": {"type": "postback", "data": f"menu={name}"},
            }
        ],
    }
    created = await stack.emu.post("/v2/bot/richmenu", json=body, headers=LINE)
    rich_menu_id = created.json()["richMenuId"]
    image = await stack.emu.post(
        f"/v2/bot/richmenu/{rich_menu_id}/content",
        content=PNG,
        headers=LINE | {"Content-Type": "image/png"},
    )
    assert image.status_code == 200
    return rich_menu_id


async def test_a_branch_switches_the_rich_menu_then_it_is_unlinked(stack):
    vip_menu, member_menu = await rich_menu(stack, "vip"), await rich_menu(stack, "member")
    scenario_id = await stack.scenario(
        scenario(
            WELCOME,
            {
                "id": "segment",
                "type": "branch",
                "branches": [
                    {
                        "label": "vip",
                        "when": {"tag": "vip"},
                        "steps": [{"id": "vip-menu", "type": "rich_menu", "link": vip_menu}],
                    }
                ],
                "otherwise": [{"id": "member-menu", "type": "rich_menu", "link": member_menu}],
            },
            wait("season", "P30D"),
            {"id": "reset", "type": "rich_menu", "unlink": True},
            text("bye", "Season over"),
        )
    )
    vip, member = user(710), user(711)
    await stack.api.post(f"/friends/{vip}/tags", json={"tags": ["vip"]})
    for friend in (vip, member):
        await stack.follow(friend)
        await stack.until_status(scenario_id, friend, "waiting", step="season")
    assert stack.emulator.rich_menu_links == {vip: vip_menu, member: member_menu}
    links = (await stack.emu.get("/emulator/richmenus/links")).json()
    assert links == {vip: vip_menu, member: member_menu}

    for friend in (vip, member):
        assert (await stack.outcome(scenario_id, friend)).status == "completed"
        assert await stack.texts(friend) == ["Welcome", "Season over"]
    assert stack.emulator.rich_menu_links == {}

    timeline = (await stack.api.get(f"/friends/{vip}/timeline")).json()["entries"]
    decisions = [
        (e["step_id"], e["label"], e["detail"]["inputs"].get("rich_menu"))
        for e in timeline
        if e["kind"] == "decision"
    ]
    assert decisions == [
        ("segment", "vip", None),
        ("vip-menu", "linked", vip_menu),
        ("reset", "unlinked", None),
    ]
    stats = (await stack.api.get(f"/scenarios/{scenario_id}/stats")).json()
    entered = {step["id"]: step["entered"] for step in stats["steps"]}
    assert (entered["vip-menu"], entered["member-menu"], entered["reset"]) == (1, 1, 2)


async def test_an_unknown_rich_menu_is_recorded_and_the_journey_goes_on(stack):
    missing = f"richmenu-{'0' * 32}"
    scenario_id = await stack.scenario(
        scenario({"id": "menu", "type": "rich_menu", "link": missing}, text("after", "Hello"))
    )
    friend = user(712)
    await stack.follow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == ["Hello"]
    assert stack.emulator.rich_menu_links == {}
    timeline = (await stack.api.get(f"/friends/{friend}/timeline")).json()["entries"]
    [decision] = [e for e in timeline if e["kind"] == "decision"]
    assert (decision["step_id"], decision["label"]) == ("menu", "failed")
    assert decision["detail"]["inputs"] == {"rich_menu": missing, "reason": "LINE 404: Not found"}


async def test_a_blocked_friend_is_not_linked(stack):
    menu = await rich_menu(stack, "later")
    scenario_id = await stack.scenario(
        scenario(
            wait("soon", "PT1H"),
            {"id": "menu", "type": "rich_menu", "link": menu},
            wait("more", "PT1H"),
            on_unblock="resume",  # the enrollment walks on while the friend has blocked
        )
    )
    friend = user(713)
    await stack.follow(friend)
    await stack.until_status(scenario_id, friend, "waiting", step="soon")
    await stack.unfollow(friend)
    await stack.env.sleep(timedelta(hours=1, minutes=5))
    await stack.until_status(scenario_id, friend, "waiting", step="more")
    assert stack.emulator.rich_menu_links == {}
    assert stack.emulator.calls["richmenu_link"] == 0  # LINE was not asked
    timeline = (await stack.api.get(f"/friends/{friend}/timeline")).json()["entries"]
    [decision] = [e for e in timeline if e["kind"] == "decision"]
    assert decision["label"] == "skipped"
    assert decision["detail"]["inputs"]["reason"].startswith("the friend has blocked")


async def test_a_rich_menu_step_needs_exactly_one_of_link_and_unlink(stack):
    both = {"id": "menu", "type": "rich_menu", "link": f"richmenu-{'a' * 32}", "unlink": True}
    answer = await stack.api.post("/scenarios", json=scenario(WELCOME, both))
    assert answer.status_code == 422
    [problem] = answer.json()["detail"]
    assert problem["path"] == "steps[1]" and "exactly one" in problem["msg"]
    answer = await stack.api.post("/scenarios", json=scenario(coupon_step("gift", " ")))
    assert answer.status_code == 422
    assert [p["path"] for p in answer.json()["detail"]] == ["steps[0].messages[0].couponId"]
