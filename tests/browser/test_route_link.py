"""A route link in a real browser: `/join/{route}` → the emulator's LINE Login page → its
form → back to stepline's callback, which records the route. The pages' Content-Security-
Policy lets this flow through (the login form sends the browser on to another origin) while
it keeps frames and foreign scripts out."""

import asyncio

from playwright.async_api import Page, expect

from tests.support.stack import user

FRIEND = user(0xE1)


async def test_a_route_link_records_the_route_through_the_login_form(join_stack, page: Page):
    async with join_stack() as s:
        refused: list[str] = []
        page.on(
            "console", lambda m: refused.append(m.text) if "Content Security" in m.text else None
        )
        await page.goto(f"{s.api_url}/join/qr_shop")
        await expect(page.get_by_role("heading", name="LINE Login (emulator)")).to_be_visible()
        await page.fill("input[name=user_id]", FRIEND)
        await page.get_by_role("button", name="Log in").click()
        for _ in range(100):  # the callback records it, then sends the browser to LINE's page
            friend = await s.friend(FRIEND)
            if friend is not None and friend.route == "qr_shop":
                break
            await asyncio.sleep(0.1)
        assert friend is not None and friend.route == "qr_shop"
        assert refused == []
