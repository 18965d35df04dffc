"""Playwright on the system Chromium (Debian's `chromium` package): one headless browser for
the whole session, a fresh page per test, and screenshots under .artifacts/screenshots/.

    async def test_x(page, screenshot):
        await page.goto(url)
        await screenshot(page, "x")
"""

import os
import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, Playwright, Route, async_playwright, expect

from tests.api.test_join import join_stack  # noqa: F401 (route links in a browser)

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("STEPLINE_SCREENSHOTS") or ROOT / ".artifacts" / "screenshots")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 10_000  # actions, navigation and expect(): a loaded CI machine is slow
LOCAL = re.compile(r"^(https?|wss?)://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?/")

expect.set_options(timeout=TIMEOUT_MS)


def chromium_executable() -> str | None:
    """STEPLINE_CHROMIUM if set, else the system Chromium; None when there is none."""
    configured = os.environ.get("STEPLINE_CHROMIUM")
    if configured:
        return configured
    for candidate in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
async def playwright() -> AsyncIterator[Playwright]:
    async with async_playwright() as running:
        yield running


@pytest.fixture(scope="session")
async def browser(playwright: Playwright) -> AsyncIterator[Browser]:
    """Headless Chromium. Skipped only where no Chromium is installed, and never in CI."""
    executable = chromium_executable()
    if executable is None:
        reason = "no Chromium: install Debian's `chromium` package or set STEPLINE_CHROMIUM"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    launched = await playwright.chromium.launch(
        executable_path=executable, headless=True, args=CHROMIUM_ARGS
    )
    yield launched
    await launched.close()


async def _offline(route: Route) -> None:
    """Nothing leaves the machine: a request to anywhere but this host fails at once."""
    if LOCAL.match(route.request.url):
        await route.continue_()
    else:
        await route.abort("internetdisconnected")


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A fresh page (its own context: cookies, storage) at a laptop's size, offline but for
    this host; `page.route(...)` may still answer other URLs (page routes are tried first)."""
    context = await browser.new_context(viewport=VIEWPORT, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    await context.route("**/*", _offline)
    opened = await context.new_page()
    yield opened
    await context.close()


async def save_screenshot(page: Page, name: str) -> Path:
    """The whole page as SCREENSHOTS/<name>.png (CI keeps that folder as an artifact)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0, f"{path} is empty"
    return path


@pytest.fixture
def screenshot() -> Callable[[Page, str], Awaitable[Path]]:
    """`await screenshot(page, "name")`: see save_screenshot."""
    return save_screenshot
