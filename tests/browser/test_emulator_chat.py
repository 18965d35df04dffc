"""The LINE emulator's chat view in a real browser: a newcomer adds a friend with the button,
watches stepline's welcome arrive as LINE would draw it, sees a push arrive live, and blocks;
a friend taps a quick-reply option and types a reply, which reach the bot as LINE's webhooks."""

import json
import re
import struct
import zlib

from fastapi import FastAPI, Request, Response
from playwright.async_api import Page, Route, expect

from core.serve import serving
from emulator.app import EmulatorConfig, create_app
from emulator.webhooks import sign
from tests.emulator.test_chat_html import EVERY_KIND
from tests.support.stack import ACCESS_TOKEN, CHANNEL_SECRET, user

PICTURES = "https://pictures.example.com"
COUPON_ID = "01JCOUPONWELCOME10PERCENTOFF"
WELCOME_TEXT = "Welcome to the shop! 🎉\nHere is a gift for you."
WELCOME = {
    "name": "Chat view welcome",
    "trigger": {"type": "follow"},
    "steps": [
        {
            "id": "welcome",
            "type": "message",
            "messages": [
                {"type": "text", "text": WELCOME_TEXT},
                {"type": "sticker", "packageId": "11537", "stickerId": "52002734"},
                {
                    "type": "image",
                    "originalContentUrl": f"{PICTURES}/shop.png",
                    "previewImageUrl": f"{PICTURES}/shop-preview.png",
                },
                {
                    "type": "coupon",
                    "couponId": COUPON_ID,
                    "quickReply": {
                        "items": [
                            {"type": "action", "action": {"type": "message", "label": "Use it now", "text": "use"}},
                            {"type": "action", "action": {"type": "message", "label": "Later", "text": "later"}},
                        ]
                    },
                },
            ],
        }
    ],
}  # fmt: skip


def png(width: int = 240, height: int = 160) -> bytes:
    """A plain green PNG (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + b"\x06\xc7\x55" * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


async def _picture(route: Route) -> None:
    """The image host the scenario names, answered locally (there is no internet)."""
    await route.fulfill(status=200, content_type="image/png", body=png())


async def delivered(stack, user_id: str) -> list[dict]:
    """The messages LINE delivered to the user, from the emulator's JSON."""
    return [
        m for push in await stack.received(user_id) if push["delivered"] for m in push["messages"]
    ]


async def push(stack, user_id: str, *messages: dict) -> None:
    answer = await stack.emu.post(
        "/v2/bot/message/push",
        json={"to": user_id, "messages": list(messages)},
        headers={"Authorization": f"Bearer {ACCESS_TOKEN}"},
    )
    assert answer.status_code == 200, answer.text


async def test_add_a_friend_watch_the_chat_and_block(stack, page: Page, screenshot):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.route(f"{PICTURES}/**", _picture)
    await stack.emu.put(f"/emulator/coupons/{COUPON_ID}")  # a running coupon
    await stack.scenario(WELCOME)
    base = str(stack.emu.base_url).rstrip("/")

    # the chat list, empty: nobody has followed yet
    await page.goto(f"{base}/emulator/chat")
    await expect(page.locator("#friends .friend")).to_have_count(0)
    await expect(page.locator("#friends")).to_contain_text("No friends yet")
    await screenshot(page, "emulator-chat-empty")

    # "Add a new friend": a new user follows through a signed webhook that stepline accepts
    await page.fill("input[name=display_name]", "Aoi")
    await page.click("#add-friend")
    await page.wait_for_url(re.compile(r"/emulator/chat/U[0-9a-f]{32}\?event=follow"))
    user_id = re.search(r"U[0-9a-f]{32}", page.url).group(0)
    assert stack.emulator.users[user_id].state == "friend"
    friend = page.locator(f'#friends .friend[data-user-id="{user_id}"]')
    await expect(friend.locator(".name")).to_have_text("Aoi")
    await expect(friend).to_have_attribute("data-state", "friend")
    await expect(page.locator("#notice")).to_contain_text("follow webhook to the bot: HTTP 200")

    # stepline's welcome arrives: one bubble per message LINE delivered, drawn by type
    bubbles = page.locator("#messages [data-message]")
    await expect(bubbles).to_have_count(4)
    sent = await delivered(stack, user_id)
    assert [m["type"] for m in sent] == ["text", "sticker", "image", "coupon"]
    assert [await b.get_attribute("data-message") for b in await bubbles.all()] == [
        m["type"] for m in sent
    ]
    await expect(friend.locator(".count")).to_have_text(str(len(sent)))
    assert await bubbles.nth(0).inner_text() == WELCOME_TEXT  # line break and emoji kept
    sticker = page.locator('[data-message="sticker"]')
    await expect(sticker.locator("svg")).to_be_visible()
    await expect(sticker).to_contain_text("11537 / 52002734")
    image = page.locator('[data-message="image"] img')
    await expect(image).to_be_visible()
    assert await image.get_attribute("src") == f"{PICTURES}/shop-preview.png"
    assert await image.evaluate("img => img.complete && img.naturalWidth") == 240
    await expect(page.locator('[data-message="coupon"]')).to_contain_text(COUPON_ID)
    await expect(page.locator(".quick-reply .action")).to_have_text(["Use it now", "Later"])

    # a push while the page is open shows up without a reload (the 2-second poll)
    await page.evaluate("window.sameDocument = true")
    await push(stack, user_id, {"type": "text", "text": "Flash sale <b>today</b>"})
    await expect(bubbles).to_have_count(5)
    await expect(bubbles.nth(4)).to_have_text("Flash sale <b>today</b>")
    assert await page.evaluate("window.sameDocument") is True
    assert len(await delivered(stack, user_id)) == 5
    await expect(friend.locator(".count")).to_have_text("5")
    await expect(page.locator(".quick-reply")).to_have_count(0)  # only under the last message
    await screenshot(page, "emulator-chat-conversation")

    # Block: an unfollow webhook that stepline records; the friend shows blocked
    await friend.get_by_role("button", name="Block").click()
    await page.wait_for_url(re.compile(r"\?event=unfollow"))
    await expect(page.locator("#notice")).to_contain_text("unfollow webhook to the bot: HTTP 200")
    friend = page.locator(f'#friends .friend[data-user-id="{user_id}"]')
    await expect(friend).to_have_attribute("data-state", "blocked")
    await expect(friend.locator(".state")).to_have_text("Blocked")
    await expect(friend.get_by_role("button", name="Unblock")).to_be_visible()
    assert stack.emulator.users[user_id].state == "blocked"
    await stack.settle()
    answer = await stack.api.get(f"/friends/{user_id}")
    assert answer.status_code == 200 and answer.json()["following"] is False

    # a push to a blocked friend is not received: a faint note, no bubble
    await push(stack, user_id, {"type": "text", "text": "Are you still there?"})
    await expect(page.locator(".undelivered")).to_contain_text("Not delivered (blocked): 1 message")
    await expect(bubbles).to_have_count(5)
    assert len(await delivered(stack, user_id)) == 5
    await screenshot(page, "emulator-chat-blocked")
    assert errors == []


async def test_every_message_kind_as_line_draws_it(page: Page, screenshot):
    """Every kind of message on one page; pictures cannot load (offline): neutral boxes."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    emulator = create_app(EmulatorConfig(access_token=ACCESS_TOKEN, channel_secret=CHANNEL_SECRET))
    friend = user(1)
    emulator.state.emulator.follow(friend, display_name="Every kind")
    async with serving(emulator) as base:
        for messages in EVERY_KIND:
            emulator.state.emulator.accept("request", [friend], messages, None, None)
        await page.set_viewport_size({"width": 1280, "height": 3000})  # the whole chat at once
        await page.goto(f"{base}/emulator/chat/{friend}")
        kinds = [m["type"] for messages in EVERY_KIND for m in messages]
        bubbles = page.locator("#messages [data-message]")
        await expect(bubbles).to_have_count(len(kinds))
        assert [await b.get_attribute("data-message") for b in await bubbles.all()] == kinds
        pictures = page.locator("#messages .media")
        await expect(page.locator("#messages .media.broken")).to_have_count(await pictures.count())
        await expect(page.locator('[data-message="image"] .fallback')).to_be_visible()
        await expect(page.locator(".quick-reply .action")).to_have_text(
            ["Opening hours", "Send my location"]
        )
        await screenshot(page, "emulator-chat-every-kind")
    assert errors == []


SURVEY = {
    "type": "text",
    "text": "Which drink would you like?",
    "quickReply": {
        "items": [
            {"type": "action", "action": {"type": "postback", "label": "Tea", "data": "drink=tea",
                                          "displayText": "Tea, please"}},
            {"type": "action", "action": {"type": "postback", "label": "Coffee", "data": "drink=coffee",
                                          "displayText": "Coffee, please"}},
            {"type": "action", "action": {"type": "uri", "label": "Menu", "uri": "https://shop.example.com/"}},
        ]
    },
}  # fmt: skip
CONFIRM = {
    "type": "template",
    "altText": "A cake with it?",
    "template": {"type": "confirm", "text": "A cake with it?", "actions": [
        {"type": "message", "label": "Yes", "text": "Yes, a cake"},
        {"type": "message", "label": "No", "text": "No cake"}]},
}  # fmt: skip


def bot(received: list[dict]) -> FastAPI:
    """A bot stand-in: keeps each webhook's events, once its LINE signature checks out."""
    app = FastAPI()

    @app.post("/webhooks/line")
    async def webhook(request: Request) -> Response:
        raw = await request.body()
        if request.headers.get("x-line-signature") != sign(CHANNEL_SECRET, raw):
            return Response("bad signature", status_code=400)
        received.extend(json.loads(raw)["events"])
        return Response("OK")

    return app


async def test_tap_a_quick_reply_option_and_type_a_reply(page: Page, screenshot):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    received: list[dict] = []
    emulator = create_app(EmulatorConfig(access_token=ACCESS_TOKEN, channel_secret=CHANNEL_SECRET))
    state = emulator.state.emulator
    friend = user(2)
    async with serving(bot(received)) as bot_url, serving(emulator) as base:
        state.config.webhook_url = f"{bot_url}/webhooks/line"
        state.follow(friend, display_name="Aoi")
        state.accept("request", [friend], [SURVEY], None, None)
        await page.goto(f"{base}/emulator/chat/{friend}")
        options = page.locator(".quick-reply .action")
        await expect(options).to_have_text(["Tea", "Coffee", "Menu"])
        mine = page.locator("#messages .row.mine .bubble")
        await expect(mine).to_have_count(0)

        # tapping "Tea": LINE sends the postback only; its displayText shows as Aoi's bubble
        await page.locator(".quick-reply").get_by_role("button", name="Tea").click()
        await page.wait_for_url(re.compile(r"\?event=postback&webhook=200"))
        await expect(page.locator("#notice")).to_contain_text(
            "postback webhook to the bot: HTTP 200"
        )
        await expect(mine).to_have_text(["Tea, please"])
        await expect(page.locator(".quick-reply")).to_have_count(0)  # hidden once answered
        assert [(e["type"], e["source"]["userId"]) for e in received] == [("postback", friend)]
        assert received[0]["postback"] == {"data": "drink=tea"}

        # typing a reply in the box at the bottom: a text message webhook
        await page.fill("#composer input[name=text]", "Can I have it iced? 🧊")
        await page.press("#composer input[name=text]", "Enter")
        await page.wait_for_url(re.compile(r"\?event=message&webhook=200"))
        await expect(mine).to_have_text(["Tea, please", "Can I have it iced? 🧊"])
        assert received[-1]["type"] == "message"
        assert received[-1]["message"]["type"] == "text"
        assert received[-1]["message"]["text"] == "Can I have it iced? 🧊"

        # the bot answers with a confirm card: it shows live; its message action is tappable
        await page.evaluate("window.sameDocument = true")
        state.accept("request", [friend], [CONFIRM], None, None)
        card = page.locator('[data-message="template"]')
        await expect(card).to_contain_text("A cake with it?")
        assert await page.evaluate("window.sameDocument") is True
        await card.get_by_role("button", name="Yes").click()
        await page.wait_for_url(re.compile(r"\?event=message&webhook=200"))
        await expect(mine).to_have_text(["Tea, please", "Can I have it iced? 🧊", "Yes, a cake"])
        assert [e["type"] for e in received] == ["postback", "message", "message"]
        assert received[-1]["message"]["text"] == "Yes, a cake"
        friend_row = page.locator(f'#friends .friend[data-user-id="{friend}"]')
        await expect(friend_row.locator(".preview")).to_have_text("Yes, a cake")

        # on the page the friend's bubbles sit on the right, LINE green; the bot's on the left
        box = await mine.nth(0).bounding_box()
        bot_box = await page.locator('[data-message="text"]').first.bounding_box()
        chat_box = await page.locator("#messages").bounding_box()
        assert box["x"] + box["width"] > chat_box["x"] + chat_box["width"] - 60
        assert bot_box["x"] < chat_box["x"] + 120
        colour = await mine.nth(0).evaluate("el => getComputedStyle(el).backgroundColor")
        assert colour == "rgb(141, 224, 85)"
        await screenshot(page, "emulator-chat-friend-actions")
    assert errors == []
