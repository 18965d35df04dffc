"""The rest of the operator's day in a real browser, without curl: an audience from a file
(sent with a progress bar), a friend's attributes and tags changed on their page, a CSV
imported after its dry run, and the channel's policy saved after a mistake is shown on its
field — then the same page at a phone's width."""

import re

from playwright.async_api import Page, expect

from tests.support.stack import ADMIN_TOKEN, user

FRIEND = user(0xA01)
WIDER = """() => [...document.querySelectorAll("main *")]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest(".scroll"))
  .map(e => e.tagName + "." + e.className + "#" + e.id)"""  # what goes past the screen


async def sign_in(page: Page, base: str) -> None:
    await page.goto(base + "/login")
    await page.fill("#token", ADMIN_TOKEN)
    await page.click("button[type=submit]")
    await expect(page.locator("h1")).to_be_visible()


async def submit(page: Page, button: str) -> None:
    async with page.expect_navigation():
        await page.click(button)


async def test_an_operator_manages_audiences_friends_imports_and_the_policy(
    stack, page, screenshot
):
    base = str(stack.api.base_url).rstrip("/")
    await stack.api.put(f"/friends/{FRIEND}/attributes", json={"plan": "free", "area": "osaka"})
    await sign_in(page, base)

    # an upload audience from a file: only the upload kind's fields show
    await page.click("nav.top >> text=Audiences")
    await expect(page.locator("h1")).to_have_text("Audiences")
    await expect(page.locator("#f-tag")).to_be_hidden()
    await page.fill("#f-name", "Tokyo event guests")
    ids = f"user_id\n{user(0xA10)}\n{user(0xA11)}\n{FRIEND}\n"
    await page.set_input_files(
        "#f-file", files=[{"name": "guests.csv", "mimeType": "text/csv", "buffer": ids.encode()}]
    )
    await screenshot(page, "operator-audience-new")
    await page.click("#audience-form button[type=submit]")
    await expect(page.locator("#audience-size")).to_have_text("3")
    await screenshot(page, "operator-audience-from-a-file")

    # a tag audience: its own field appears once the kind is chosen
    await page.goto(base + "/dashboard/audiences")
    await page.fill("#f-name", "VIPs")
    await page.select_option("#f-kind", "tag")
    await expect(page.locator("#f-file")).to_be_hidden()
    await page.fill("#f-tag", "vip")
    await submit(page, "#audience-form button[type=submit]")
    await expect(page.locator("#audience-size")).to_have_text("0")

    # the friend's attributes and tags, changed on their page
    await page.goto(f"{base}/dashboard/friends/{FRIEND}")
    await page.fill("#f-name", "age")
    await page.fill("#f-value", "27")
    await submit(page, "#attribute-form button[type=submit]")
    await expect(page.locator("tr[data-attribute=age]")).to_contain_text("27")
    await page.fill("#f-name", "plan")
    await page.fill("#f-value", "gold")
    await submit(page, "#attribute-form button[type=submit]")
    await expect(page.locator("tr[data-attribute=plan]")).to_contain_text("gold")
    await submit(page, "tr[data-attribute=area] button")
    await expect(page.locator("tr[data-attribute=area]")).to_have_count(0)
    await page.fill("#f-tag", "vip")
    await page.keyboard.press("Enter")  # the keyboard alone adds it
    await expect(page.locator("li[data-tag=vip]")).to_be_visible()
    await page.fill("#f-tag", "trial")
    await submit(page, "#tag-form button[type=submit]")
    await submit(page, "li[data-tag=trial] button")
    await expect(page.locator("li[data-tag=trial]")).to_have_count(0)
    await screenshot(page, "operator-friend-edited")
    friend = (await stack.api.get(f"/friends/{FRIEND}")).json()
    assert friend["attributes"] == {"plan": "gold", "age": 27}
    assert friend["tags"] == ["vip"]
    vips = [a for a in (await stack.api.get("/audiences")).json() if a["name"] == "VIPs"]
    assert vips[0]["size"] == 1

    # a CSV import: the dry run first, nothing written until it is confirmed
    await page.goto(base + "/dashboard/friends/import")
    rows = f"user_id,plan,age\n{FRIEND},platinum,\n{user(0xA20)},free,31\n"
    await page.set_input_files(
        "#f-file", files=[{"name": "crm.csv", "mimeType": "text/csv", "buffer": rows.encode()}]
    )
    await page.click("#import-form button[type=submit]")
    await expect(page.locator("#dry-run")).to_contain_text("2 rows: 1 new friends")
    await screenshot(page, "operator-import-dry-run")
    assert (await stack.api.get(f"/friends/{user(0xA20)}")).status_code == 404
    await submit(page, "#confirm-form button[type=submit]")
    await expect(page.locator("#import-result")).to_contain_text("2 rows imported")
    await screenshot(page, "operator-import-done")
    assert (await stack.api.get(f"/friends/{user(0xA20)}")).json()["attributes"]["age"] == 31

    # the channel's policy: a mistake on its field, then saved
    await page.click("nav.top >> text=Channel")
    await page.fill("[name='quiet_hours.start']", "21:00")
    await page.fill("[name='quiet_hours.end']", "9:00")
    await page.check("#f-skip_weekends")
    await page.fill("#f-max_per_day", "2")
    await submit(page, "#policy-form button[type=submit]")
    problem = page.locator("#p-quiet_hours\\.end")
    await expect(problem).to_contain_text("24-hour time")
    await expect(page.locator("[name='quiet_hours.end']")).to_have_attribute("aria-invalid", "true")
    await screenshot(page, "operator-policy-a-problem")
    await page.fill("[name='quiet_hours.end']", "09:00")
    await submit(page, "#policy-form button[type=submit]")
    await expect(page.locator(".op-saved")).to_be_visible()
    policy = (await stack.api.get("/channel/policy")).json()
    assert policy["quiet_hours"] == {"start": "21:00", "end": "09:00"}
    assert (policy["skip_weekends"], policy["max_per_day"]) == (True, 2)
    await expect(page.locator("[data-quota=used]")).to_be_visible()
    await screenshot(page, "operator-channel")

    # at a phone's width: one column, nothing wider than the screen
    await page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/dashboard/channel", "/dashboard/audiences", f"/dashboard/friends/{FRIEND}"):
        await page.goto(base + path)
        wide = await page.evaluate(WIDER)
        assert not wide, (path, wide)
        assert await page.evaluate("document.documentElement.scrollWidth") <= 391, path
    await screenshot(page, "operator-friend-phone")
    assert re.search(r"/dashboard/friends/U", page.url)
