"""A signed-in browser for the dashboard's pages (its session cookie only, no bearer header),
and the form token its pages carry (api/dashboard/csrf.py)."""

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
