"""A signed-in browser for the operator's pages (its cookie only), and the form token its
pages carry, as tests/studio/test_studio_pages.py signs in."""

import re
from contextlib import asynccontextmanager

import httpx

from tests.support.stack import ADMIN_TOKEN

TOKEN = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


@asynccontextmanager
async def operator(stack):
    async with httpx.AsyncClient(base_url=str(stack.api.base_url), timeout=60) as client:
        answer = await client.post("/login", data={"token": ADMIN_TOKEN, "next": "/"})
        assert answer.status_code == 303
        page = await client.get("/")
        client.headers["x-test-csrf"] = TOKEN.search(page.text).group(1)
        yield client


def csrf(client: httpx.AsyncClient) -> str:
    return client.headers["x-test-csrf"]


def problem_on(page: str, field: str) -> str:
    """The problem a page shows on a field ('' when none)."""
    found = re.search(rf'data-field="{re.escape(field)}" role="alert">([^<]*)<', page)
    return found.group(1) if found else ""
