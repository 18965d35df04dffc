"""The issue's newcomer, end to end on the README's run command: `stepline dev` with its
examples, the dashboard opened and logged into, a friend added in the emulator's chat view —
the welcome appears in the chat, and the dashboard's numbers change without a reload."""

import httpx
import pytest
from playwright.async_api import expect

from cli.dev import DEV_ADMIN_TOKEN
from tests.support.devrun import dev_run

WELCOME = "Welcome! This is a stepline demo."


@pytest.fixture
def dev(tmp_path):
    with dev_run(tmp_path, examples=True) as run:
        yield run


async def quick_demo_id(api_url: str) -> str:
    headers = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=api_url, headers=headers, timeout=30) as api:
        scenarios = (await api.get("/scenarios")).json()
    return next(s["id"] for s in scenarios if s["name"] == "Quick demo")


async def test_a_newcomer_watches_a_friend_arrive(dev, browser, screenshot):
    scenario_id = await quick_demo_id(dev.api_url)
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        dashboard = await context.new_page()
        await dashboard.goto(dev.api_url + "/")
        await dashboard.fill("#token", DEV_ADMIN_TOKEN)
        await dashboard.click("button[type=submit]")
        row = dashboard.locator(f"tr[data-scenario='{scenario_id}']")
        await expect(row.get_by_role("link")).to_have_text("Quick demo")
        await row.get_by_role("link").click()
        totals = dashboard.locator(".totals")
        await expect(totals.locator("[data-stat=enrolled]")).to_have_text("0")
        welcome = dashboard.locator("li[data-step='welcome'] > .box [data-count=sent]")
        await expect(welcome).to_have_text("0")

        # the dashboard's nav leads to the emulator's chat view (development only)
        chat_link = dashboard.locator("#emulator-chat")
        await expect(chat_link).to_have_attribute("href", dev.emulator_url + "/emulator/chat")
        chat = await context.new_page()
        await chat.goto(dev.emulator_url + "/emulator/chat")
        await chat.fill("input[name=display_name]", "Newcomer")
        await chat.click("#add-friend")
        await expect(chat.locator("#notice")).to_contain_text("HTTP 200")
        await expect(chat.locator("#messages [data-message]").first).to_contain_text(
            WELCOME, timeout=20_000
        )
        await screenshot(chat, "newcomer-chat")

        # no reload: the scenario page refreshes its numbers by itself
        await expect(totals.locator("[data-stat=enrolled]")).to_have_text("1", timeout=20_000)
        await expect(welcome).to_have_text("1", timeout=20_000)
        await expect(dashboard.locator("section.enrollments tbody tr")).to_have_count(1)
        await screenshot(dashboard, "newcomer-dashboard")
    finally:
        await context.close()
