"""The dashboard in a real browser: log in through the form; the scenario list, the scenario
page (step boxes, funnel, arms, enrollments) and the friend page show what the admin API says;
the numbers change by themselves when another friend follows. A screenshot of each page."""

import re
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from playwright.async_api import Page, expect
from pydantic import AnyHttpUrl

from tests.api.helpers import enrollment_at, scenario, text, wait
from tests.browser.conftest import TIMEOUT_MS, VIEWPORT, _offline
from tests.support.stack import ADMIN_TOKEN, Stack, running_stack, user

TEMPORAL_UI = "http://temporal-ui.test:8233"
SHOP = "https://shop.example/sale"
GOLD, BASIC, LATE = user(0xD0), user(0xD1), user(0xD2)


def definition() -> dict:
    return scenario(
        text("welcome", f"Welcome! {SHOP}"),
        {
            "id": "plan",
            "type": "branch",
            "branches": [
                {
                    "label": "gold",
                    "when": {"attribute": "plan", "equals": "gold"},
                    "steps": [text("gold-offer", "A gold offer")],
                }
            ],
            "otherwise": [text("basic-offer", "A basic offer")],
        },
        wait("pause", "P1D"),
        text("later", "See you"),
        name="Welcome <journey>",
        goal={"event": "purchase", "within": "P7D"},
    )


@dataclass
class Demo:
    stack: Stack
    scenario_id: str

    @property
    def url(self) -> str:
        return str(self.stack.api.base_url).rstrip("/")

    async def stats(self) -> dict:
        answer = await self.stack.api.get(f"/scenarios/{self.scenario_id}/stats")
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture(scope="module")
async def demo(ts_env, tmp_path_factory):
    """A scenario with a goal and a branch; a gold friend who clicks and buys, a basic friend,
    both waiting a day at `pause`."""
    url = f"sqlite:///{tmp_path_factory.mktemp('dashboard')}/stepline.db"
    async with running_stack(ts_env, database_url=url) as stack:
        services = stack.app.state.services
        services.settings = services.settings.model_copy(
            update={"temporal_ui_url": AnyHttpUrl(TEMPORAL_UI)}
        )
        scenario_id = await stack.scenario(definition())
        await stack.api.put(f"/friends/{GOLD}/attributes", json={"plan": "gold"})
        await stack.follow(GOLD, display_name="Aiko Gold")
        await stack.follow(BASIC, display_name="Ben Basic")
        for friend in (GOLD, BASIC):
            await enrollment_at(stack, scenario_id, friend, "pause")
        welcome = (await stack.received(GOLD))[0]["messages"][0]["text"]
        link = "/r/" + re.findall(r"/r/([A-Za-z0-9_\-]+)", welcome)[0]
        assert (await stack.api.get(link)).status_code == 302
        bought = await stack.api.post("/events", json={"user_id": GOLD, "name": "purchase"})
        assert bought.status_code == 201, bought.text
        yield Demo(stack, scenario_id)


async def log_in(page: Page, demo: Demo, path: str = "/") -> None:
    """Open `path`; the dashboard sends the browser to its login form, and back after it."""
    await page.goto(demo.url + path)
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await page.fill("#token", ADMIN_TOKEN)
    await page.click("button[type=submit]")
    await expect(page).to_have_url(demo.url + path)


def number(value) -> str:
    return "—" if value is None else f"{value:,}"


def percent(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


async def test_logging_in_through_the_form(page, demo, screenshot):
    await page.goto(demo.url + "/dashboard/friends")
    await expect(page).to_have_url(demo.url + "/login?next=%2Fdashboard%2Ffriends")
    await page.fill("#token", "not-the-token")
    await page.click("button[type=submit]")
    await expect(page.get_by_role("alert")).to_contain_text("not the admin token")
    await screenshot(page, "dashboard-login")

    await page.fill("#token", ADMIN_TOKEN)
    await page.click("button[type=submit]")
    await expect(page).to_have_url(demo.url + "/dashboard/friends")
    rows = page.locator("table.friends tbody tr")
    await expect(rows).to_have_count(2)
    await expect(page.locator(f"tr[data-friend='{GOLD}']")).to_contain_text("Aiko Gold")
    await screenshot(page, "dashboard-friends")

    await page.fill("input[name=q]", "ben")
    await page.click("form[role=search] button")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text(BASIC)


async def test_the_scenario_list_shows_the_api_numbers(page, demo, screenshot):
    await log_in(page, demo)
    stats = await demo.stats()
    row = page.locator(f"tr[data-scenario='{demo.scenario_id}']")
    await expect(row.get_by_role("link")).to_have_text("Welcome <journey>")
    await expect(row).to_contain_text("active")
    for key in ("enrolled", "active", "completed", "blocked", "messages_sent"):
        await expect(row.locator(f"[data-stat={key}]")).to_have_text(number(stats[key]))
    assert (stats["enrolled"], stats["messages_sent"], stats["converted"]) == (2, 4, 1)
    await expect(row.locator("[data-stat=conversion_rate]")).to_contain_text(
        percent(stats["conversion_rate"])
    )
    await expect(page.locator("#emulator-chat")).to_have_attribute(
        "href", demo.stack.settings.line_api_base + "/emulator/chat"
    )
    await screenshot(page, "dashboard-scenarios")


async def test_the_scenario_page_draws_the_api_numbers(page, demo, screenshot):
    await log_in(page, demo)
    await page.click(f"tr[data-scenario='{demo.scenario_id}'] a")
    await expect(page).to_have_url(f"{demo.url}/dashboard/scenarios/{demo.scenario_id}")
    await expect(page.locator("h1")).to_contain_text("Welcome <journey>")
    stats = await demo.stats()

    for key in ("enrolled", "active", "completed", "messages_sent", "converted"):
        await expect(page.locator(f".totals [data-stat={key}]")).to_have_text(number(stats[key]))
    steps = {row["id"]: row for row in stats["steps"]}
    assert set(steps) == {"welcome", "plan", "gold-offer", "basic-offer", "pause", "later"}
    for step_id, row in steps.items():
        box = page.locator(f"li[data-step='{step_id}'] > .box")
        await expect(box).to_have_count(1)
        counts = ["entered", "blocked", "conversions"]
        counts += ["sent", "clicks"] if row["type"] == "message" else []
        for count in counts:
            await expect(box.locator(f"[data-count={count}]")).to_have_text(number(row[count]))
    # the branch's two ways side by side, inside the branch's box
    ways = page.locator("li[data-step='plan'] > .ways > .way")
    await expect(ways).to_have_count(2)
    await expect(ways.nth(0).locator("li[data-step='gold-offer']")).to_have_count(1)
    await expect(ways.nth(1).locator("li[data-step='basic-offer']")).to_have_count(1)

    for step_id in ("welcome", "gold-offer", "basic-offer", "later"):
        row, bars = steps[step_id], page.locator(f"[data-funnel-step='{step_id}']")
        for measure, key in (("entered", "entered"), ("sent", "sent"),
                             ("clicked", "unique_clicks"), ("converted", "conversions")):  # fmt: skip
            await expect(bars.locator(f"[data-measure={measure}]")).to_have_text(number(row[key]))
    assert (steps["welcome"]["unique_clicks"], steps["welcome"]["conversions"]) == (1, 1)
    widths = await page.eval_on_selector_all(
        "[data-funnel-step='welcome'] .bar", "bars => bars.map(b => b.style.width)"
    )
    assert widths == ["100%", "100%", "50%", "50%"]  # of 2 enrolled: 2, 2, 1, 1

    for arm in stats["branches"]:
        cells = page.locator(f"tr[data-arm='{arm['step']}/{arm['label']}']")
        await expect(cells.locator("[data-count=taken]")).to_have_text(number(arm["taken"]))
        await expect(cells.locator("[data-count=conversion_rate]")).to_have_text(
            percent(arm["conversion_rate"])
        )
    (test,) = stats["tests"]
    await expect(page.locator("tr[data-arm='plan/gold'] .test")).to_contain_text(test["reason"])
    await screenshot(page, "dashboard-scenario")

    async with page.expect_download() as download:
        await page.click("#csv")
    saved = await (await download.value).path()
    api_csv = await demo.stack.api.get(
        f"/scenarios/{demo.scenario_id}/stats", params={"format": "csv"}
    )
    assert saved.read_bytes() == api_csv.content


async def test_enrollments_link_to_the_temporal_ui_and_their_friend(page, demo):
    await log_in(page, demo, f"/dashboard/scenarios/{demo.scenario_id}")
    listed = (await demo.stack.api.get(f"/scenarios/{demo.scenario_id}/enrollments")).json()
    rows = page.locator("section.enrollments tbody tr")
    await expect(rows).to_have_count(len(listed))
    for index, enrollment in enumerate(listed):  # newest first, as the API lists them
        row = rows.nth(index)
        await expect(row).to_have_attribute("data-enrollment", enrollment["id"])
        await expect(row.locator("a.temporal")).to_have_attribute(
            "href", f"{TEMPORAL_UI}/namespaces/default/workflows/{quote(enrollment['id'], safe='')}"
        )
        await expect(row).to_contain_text(enrollment["current_step"])
    await page.select_option("select[name=status]", "completed")
    await page.click(".filters button")
    await expect(page).to_have_url(re.compile(r"status=completed"))
    await expect(page.locator("section.enrollments")).to_contain_text("No enrollments")

    await page.goto(f"{demo.url}/dashboard/scenarios/{demo.scenario_id}")
    await page.click(f"a.friend:text('{GOLD}')")
    await expect(page).to_have_url(f"{demo.url}/dashboard/friends/{GOLD}")


async def test_the_friend_page_shows_the_timeline(page, demo, screenshot):
    await log_in(page, demo, f"/dashboard/friends/{GOLD}")
    timeline = (await demo.stack.api.get(f"/friends/{GOLD}/timeline")).json()
    kinds = [entry["kind"] for entry in timeline["entries"]]
    for kind in ("follow", "enrolled", "step_entered", "sent", "decision", "click", "event"):
        assert kind in kinds, kinds
    entries = page.locator("ol.timeline > li")
    await expect(entries).to_have_count(len(kinds))
    assert await entries.evaluate_all("items => items.map(i => i.dataset.kind)") == kinds
    await expect(page.locator("li[data-kind=decision]")).to_contain_text("plan went gold")
    await expect(page.locator("li[data-kind=click]")).to_contain_text(SHOP)
    await expect(page.locator("li[data-kind=event]")).to_contain_text("purchase")
    await expect(page.locator(".attributes")).to_contain_text("gold")
    await expect(
        page.locator(f"ul.now li[data-now='enrollment:{demo.scenario_id}:{GOLD}:1']")
    ).to_contain_text("waiting at pause")
    chat = page.locator("#friend-chat")
    await expect(chat).to_have_attribute(
        "href", f"{demo.stack.settings.line_api_base}/emulator/chat/{GOLD}"
    )
    await screenshot(page, "dashboard-friend")
    answer = await page.goto(await chat.get_attribute("href"))
    assert answer is not None and answer.ok  # the emulator's chat view of this friend


async def test_the_numbers_change_when_a_friend_follows(page, demo):
    """Last: it adds a friend. The page is not reloaded; its live part fetches the numbers."""
    await log_in(page, demo)
    await page.evaluate("window.stillTheSamePage = true")
    row = page.locator(f"tr[data-scenario='{demo.scenario_id}']")
    before = (await demo.stats())["enrolled"]
    await expect(row.locator("[data-stat=enrolled]")).to_have_text(number(before))

    await demo.stack.follow(LATE)
    await enrollment_at(demo.stack, demo.scenario_id, LATE, "pause")
    stats = await demo.stats()
    assert stats["enrolled"] == before + 1
    await expect(row.locator("[data-stat=enrolled]")).to_have_text(
        number(stats["enrolled"]), timeout=15_000
    )
    await expect(row.locator("[data-stat=messages_sent]")).to_have_text(
        number(stats["messages_sent"]), timeout=15_000
    )
    assert await page.evaluate("window.stillTheSamePage") is True

    await page.goto(f"{demo.url}/dashboard/scenarios/{demo.scenario_id}")
    await page.evaluate("window.stillTheSamePage = true")
    await demo.stack.follow(user(0xD3))
    await enrollment_at(demo.stack, demo.scenario_id, user(0xD3), "pause")
    await expect(page.locator(".totals [data-stat=enrolled]")).to_have_text(
        number(stats["enrolled"] + 1), timeout=15_000
    )
    await expect(page.locator(f"tr[data-enrollment*='{user(0xD3)}']")).to_have_count(1)
    assert await page.evaluate("window.stillTheSamePage") is True


async def test_a_japanese_browser_sees_japanese_and_can_switch(browser, demo, screenshot):
    """Chromium set to ja-JP (its Accept-Language) gets the login form and the pages in
    Japanese; the switch in the nav turns them English, and that sticks."""
    context = await browser.new_context(viewport=VIEWPORT, locale="ja-JP")
    context.set_default_timeout(TIMEOUT_MS)
    await context.route("**/*", _offline)
    page = await context.new_page()
    try:
        await page.goto(demo.url + "/")
        await expect(page.locator("html")).to_have_attribute("lang", "ja")
        await expect(page.locator("h1")).to_have_text("ダッシュボードにログイン")
        await page.fill("#token", ADMIN_TOKEN)
        await page.click("button[type=submit]")
        await expect(page.locator("h1")).to_have_text("シナリオ")
        row = page.locator(f"tr[data-scenario='{demo.scenario_id}']")
        await expect(row).to_contain_text("配信中")
        await expect(page.locator("nav.top")).to_contain_text("ログアウト")
        await screenshot(page, "dashboard-ja")

        await page.click("nav.top input[type=submit][value=English]")
        await expect(page.locator("html")).to_have_attribute("lang", "en")
        await expect(page.locator("h1")).to_have_text("Scenarios")
        await page.goto(demo.url + "/dashboard/friends")
        await expect(page.locator("h1")).to_have_text("Friends")
    finally:
        await context.close()
