"""The LINE emulator's chat view in a real browser: a newcomer adds a friend with the button,
watches stepline's welcome arrive as LINE would draw it, sees a push arrive live, and blocks."""

import re
import struct
import zlib

from playwright.async_api import Page, Route, expect

from core.serve import serving
from emulator.app import EmulatorConfig, create_app
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
