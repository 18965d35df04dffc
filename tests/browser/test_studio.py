"""The studio in a real browser, as someone who has never seen the YAML would use it: build the
welcome series (welcome now, a coupon the next day between 10:00 and 20:00, then something
else for women in their twenties) from a new scenario, meet a problem and fix it, save,
activate, add a friend in the emulator's chat view and watch the welcome arrive and the counts
move; then edit the running scenario, read who it touches, and migrate them."""

import re

from playwright.async_api import Page, expect

from tests.support.stack import ADMIN_TOKEN

COUPON = "welcome-coupon-1"
WOMEN_20S = "For women in their twenties: our basic course."


async def sign_in(page: Page, base: str) -> None:
    await page.goto(base + "/login")
    await page.fill("#token", ADMIN_TOKEN)
    await page.click("button[type=submit]")
    await expect(page.locator("h1")).to_be_visible()


async def choose(page: Page, name: str, value: str) -> None:
    """A structural choice (a condition's kind, an operator…) from the keyboard: chosen, then
    Enter; the page comes back with that part replaced."""
    select = page.locator(f"select[name='{name}']")
    await select.select_option(value)
    async with page.expect_navigation():
        await select.press("Enter")


async def press(page: Page, op: str) -> None:
    """One of the studio's buttons (add, duplicate, delete…); the page comes back."""
    button = page.locator(f"button[name=op][value='{op}']")
    details = button.locator("xpath=ancestor::details[1]")
    if await details.count():
        await details.locator("summary").click()
    async with page.expect_navigation():
        await button.click()


async def type_in(page: Page, path: str, kind: str, text: str) -> None:
    await page.fill(f"[name='f.{kind}.{path}']", text)


async def ready(page: Page) -> None:
    await expect(page.locator("#studio-state")).to_have_class(re.compile(r"\bok\b"))


async def test_an_operator_builds_runs_and_edits_the_welcome_series(stack, page, screenshot):
    await stack.emu.put(f"/emulator/coupons/{COUPON}")
    base = str(stack.api.base_url).rstrip("/")
    await sign_in(page, base)

    # a new scenario: the studio opens on a draft with one empty welcome message
    async with page.expect_navigation():
        await page.click("#new-scenario")
    await expect(page.locator("h1")).to_contain_text("Studio")
    await type_in(page, "name", "text", "Welcome series")
    await type_in(page, "steps[0].messages[0].text", "text", "Welcome, {displayName}!")
    await ready(page)

    # a day later, a coupon, only between 10:00 and 20:00
    await press(page, "add:steps:1:wait")
    await expect(page.locator("[name='f.text.steps[1].duration']")).to_have_value("P1D")
    await press(page, "add:steps:2:message")
    await type_in(page, "steps[2].messages[0].text", "text", "A coupon for your first visit")
    await press(page, "message:steps[2].messages:coupon")
    await type_in(page, "steps[2].messages[1].couponId", "text", COUPON)
    await press(page, "set:steps[2].window:window")

    # a mistake, shown on its field as it is typed; then fixed
    await type_in(page, "steps[2].window.start", "text", "25:00")
    problem = page.locator("[id='p-steps[2].window.start'] ul.problems li")
    await expect(problem).to_contain_text("24-hour time")
    await expect(page.locator("#save")).to_have_attribute("aria-disabled", "true")
    await screenshot(page, "studio-a-problem")
    await type_in(page, "steps[2].window.start", "text", "10:00")
    await expect(problem).to_have_count(0)
    await ready(page)

    # then a branch: women in their twenties get their own message, everyone else another
    await press(page, "add:steps:3:branch")
    when = "steps[3].branches[0].when"
    await choose(page, f"kind.condition.{when}", "all")
    await choose(page, f"kind.condition.{when}.all[0]", "attribute")  # gender equals female
    await press(page, f"condition:{when}.all:tag")
    await choose(page, f"kind.condition.{when}.all[1]", "attribute")
    await type_in(page, f"{when}.all[1].attribute", "text", "age")
    await choose(page, f"kind.operator.{when}.all[1]", "between")
    await type_in(page, f"{when}.all[1].between", "scalars", "20, 29")
    await type_in(page, "steps[3].branches[0].label", "text", "women in their 20s")
    await press(page, "add:steps[3].branches[0].steps:0:message")
    await type_in(page, "steps[3].branches[0].steps[0].messages[0].text", "text", WOMEN_20S)
    await press(page, "add:steps[3].otherwise:0:message")
    await type_in(page, "steps[3].otherwise[0].messages[0].text", "text", "Our popular menu.")
    await ready(page)
    await expect(page.locator("#graph")).to_contain_text("women in their 20s")
    # the coupon step as LINE shows it, and how many friends each way would take now
    coupon = page.locator("[data-preview-step='steps[2]'] [data-message='coupon']")
    await expect(coupon).to_be_visible()
    await expect(page.locator("#reach")).to_contain_text("0 friends")
    await screenshot(page, "studio-welcome-series")

    # the YAML tab shows the same document
    await page.click("nav.tabs a:has-text('YAML')")
    yaml_text = await page.locator("#yaml-text").input_value()
    assert "name: Welcome series" in yaml_text and "between:\n" in yaml_text
    await page.click("nav.tabs a:has-text('Form')")

    # save, then activate on the scenario's page
    await page.click("#save")
    async with page.expect_navigation():
        await page.click("form.save button[type=submit]")
    scenario_id = page.url.rsplit("/", 1)[1]
    definition = (await stack.api.get(f"/scenarios/{scenario_id}")).json()["definition"]
    assert [s["type"] for s in definition["steps"]] == ["message", "wait", "message", "branch"]
    assert definition["steps"][3]["branches"][0]["when"] == {
        "all": [
            {"attribute": "gender", "equals": "female"},
            {"attribute": "age", "between": [20, 29]},
        ]
    }

    # テスト配信 before it starts: the operator's own phone (a friend tagged `tester`) gets the
    # coupon step, personalised, marked as a test and counted nowhere
    chat = await page.context.new_page()
    chat_url = str(stack.emu.base_url).rstrip("/") + "/emulator/chat"
    await chat.goto(chat_url)
    await chat.fill("input[name=display_name]", "Operator")
    await chat.click("#add-friend")
    await chat.wait_for_url(re.compile(r"/emulator/chat/U[0-9a-f]{32}"))
    tester = re.search(r"U[0-9a-f]{32}", chat.url).group(0)
    await stack.settle()
    tagged = await stack.api.post(f"/friends/{tester}/tags", json={"tags": ["tester"]})
    assert tagged.status_code == 200, tagged.text
    await page.reload()
    await page.locator("#test-send summary").click()
    await page.select_option("select[name=step]", "message-1")
    async with page.expect_navigation():
        await page.click("#send-test")
    await expect(page.locator("table.test-runs")).to_contain_text(tester)
    await chat.goto(f"{chat_url}/{tester}")
    coupon_bubble = chat.locator("#messages [data-message='coupon']")
    await expect(coupon_bubble).to_have_count(1, timeout=20_000)
    await screenshot(chat, "studio-test-send")

    await page.goto(f"{base}/dashboard/scenarios/{scenario_id}")
    async with page.expect_navigation():
        await page.click("#action-activate")
    await expect(page.locator("h1 .status")).to_contain_text("active")

    # a friend is added in the emulator's chat view: the welcome arrives, the counts move
    # (the test send counted nowhere: one enrollment)
    await chat.goto(chat_url)
    await chat.fill("input[name=display_name]", "Aoi")
    await chat.click("#add-friend")
    await chat.wait_for_url(re.compile(r"/emulator/chat/U[0-9a-f]{32}\?"))
    await expect(chat.locator("#messages [data-message]").first).to_contain_text(
        "Welcome, Aoi!", timeout=20_000
    )
    await screenshot(chat, "studio-welcome-arrives")
    totals = page.locator(".totals")
    await expect(totals.locator("[data-stat=enrolled]")).to_have_text("1", timeout=20_000)

    # edit the running scenario: the welcome previewed for Aoi; the save page says who it
    # touches; migrate them
    async with page.expect_navigation():
        await page.click("#edit-in-studio")
    aoi = re.search(r"U[0-9a-f]{32}", chat.url).group(0)
    await page.fill("#preview-friend", aoi)
    await page.locator("#preview-friend").dispatch_event("change")
    welcome = page.locator("[data-preview-step='steps[0]'] [data-message='text']")
    await expect(welcome).to_contain_text("Welcome, Aoi!")
    await type_in(page, "steps[2].messages[0].text", "text", "A coupon, just for you")
    await ready(page)
    await page.click("#save")
    await expect(page.locator("#impact")).to_contain_text("1 friend")
    await page.check("input[name=migrate][value=true]")
    await screenshot(page, "studio-impact")
    async with page.expect_navigation():
        await page.click("form.save button[type=submit]")
    detail = (await stack.api.get(f"/scenarios/{scenario_id}")).json()
    assert detail["version"] == 2
    assert detail["definition"]["steps"][2]["messages"][0]["text"] == "A coupon, just for you"


async def test_the_studio_reads_on_a_phone_and_in_japanese(stack, browser, screenshot):
    """A phone-width screen in Japanese: nothing wider than the screen, every control
    reachable with the keyboard (a step added with Tab and Enter alone: a survey, its
    question previewed with its options as quick replies)."""
    context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="ja-JP")
    try:
        page = await context.new_page()
        await sign_in(page, str(stack.api.base_url).rstrip("/"))
        async with page.expect_navigation():
            await page.click("#new-scenario")
        await expect(page.locator("html")).to_have_attribute("lang", "ja")
        await expect(page.locator("#save")).to_contain_text("保存")
        await fits_the_screen(page)
        summary = page.locator("details.add-step summary").last
        await summary.focus()
        await page.keyboard.press("Enter")  # opens the step kinds
        survey = page.locator("details.add-step").last.locator("button[value$=':survey']")
        await survey.focus()
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        await type_in(page, "steps[1].question", "text", "また来ますか？")
        asked = page.locator("[data-preview-step='steps[1]']")
        await expect(asked.locator("[data-message='text']")).to_contain_text("また来ますか？")
        await expect(asked.locator(".quick-reply .chip")).to_have_text(["Yes", "No"])
        await fits_the_screen(page)
        await screenshot(page, "studio-phone-ja")
    finally:
        await context.close()


async def fits_the_screen(page: Page) -> None:
    wide = await page.evaluate("document.scrollingElement.scrollWidth - innerWidth")
    widest = await page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
        " > innerWidth + 1).slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)"
    )
    assert wide <= 1, f"{wide}px wider than the screen: {widest}"
