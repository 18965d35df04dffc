"""/docs and /redoc on a machine without internet: the page fixture fails every request that
leaves this host, so the pages render only if their scripts and styles are stepline's own — and
under the Content-Security-Policy the app sends them (core/browser_guard.py: DOCS_CSP), with
nothing refused in the console but the one image ReDoc would fetch from its makers' site."""

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page, expect
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from api.app import create_app
from core.browser_guard import DOCS_CSP
from core.serve import free_port, serving
from tests.browser.conftest import SCREENSHOTS
from tests.support.stack import settings_for

REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.fixture
async def api_url(tmp_path) -> AsyncIterator[str]:
    """The API alone: the docs pages need neither Temporal nor LINE."""
    temporal = await Client.connect(
        f"127.0.0.1:{free_port()}", data_converter=pydantic_data_converter, lazy=True
    )
    settings = settings_for(
        database_url=f"sqlite:///{tmp_path}/stepline.db", line_api="http://127.0.0.1:9"
    )
    async with serving(create_app(settings, temporal=temporal)) as url:
        yield url


def watch(page: Page) -> tuple[list[str], list[str]]:
    """What the page loaded or tried to (with why it failed), and what the console said went
    wrong."""
    requested: list[str] = []
    problems: list[str] = []
    page.on("requestfinished", lambda request: requested.append(request.url))
    page.on("requestfailed", lambda r: requested.append(f"{r.url} {r.failure}"))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return requested, problems


async def test_swagger_ui_shows_the_operations_offline(api_url, page: Page, screenshot):
    requested, problems = watch(page)
    answer = await page.goto(f"{api_url}/docs")
    assert answer is not None and answer.status == 200
    assert answer.headers["content-security-policy"] == DOCS_CSP
    await expect(page.locator(".swagger-ui .info .title")).to_contain_text("stepline")
    operation = page.locator(".opblock-summary-path", has_text="/scenarios").first
    await expect(operation).to_be_visible()
    assert await page.locator(".opblock").count() > 15
    await screenshot(page, "api-docs-swagger")
    assert all(url.startswith(api_url) for url in requested), requested
    assert problems == []


async def test_redoc_renders_offline(api_url, page: Page):
    requested, problems = watch(page)
    answer = await page.goto(f"{api_url}/redoc")
    assert answer is not None and answer.status == 200
    assert answer.headers["content-security-policy"] == DOCS_CSP
    # Redoc lays out the whole spec in the page's script first: seconds on a busy machine
    await expect(page.locator("h1", has_text="stepline")).to_be_visible(timeout=30_000)
    await expect(page.locator("[data-section-id^='operation/']").first).to_be_attached()
    assert await page.locator("[data-section-id^='operation/']").count() > 15
    await page.screenshot(path=str(SCREENSHOTS / "api-docs-redoc.png"))  # the top: 30,000 px whole
    # "API docs by Redocly" at the sidebar's foot: its logo is on their site; the browser
    # refuses it by the page's policy, before any network
    foreign = [url for url in requested if not url.startswith(api_url)]
    assert foreign == [f"{REDOC_LOGO} csp"], requested
    assert all("Content Security" in p and REDOC_LOGO in p for p in problems), problems
