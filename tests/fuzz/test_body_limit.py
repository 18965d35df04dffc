"""Every route that takes a body refuses one over its limit with 413 `{"detail": …}` naming the
limit, before reading it: a Content-Length over the limit is answered with nothing of the body
sent, and a chunked body (no Content-Length) is cut off as soon as it passes the limit, its
last chunk never sent."""

import asyncio
import json

import httpx
import pytest

from api.app import create_app
from api.routes.imports import IMPORT_LIMIT
from api.routes.webhooks import MAX_BODY
from tests.support.stack import ADMIN_TOKEN, settings_for, user

_PATHS = create_app(
    settings_for(database_url="sqlite://", line_api="http://127.0.0.1:9")
).openapi()["paths"]
ROUTES = [("POST", "/webhooks/line")] + [
    (method.upper(), path.replace("{user_id}", user(1)).replace("{tag}", "t"))
    for path, operations in _PATHS.items()
    for method, operation in operations.items()
    if "requestBody" in operation
]
LIMITS = {"/webhooks/line": MAX_BODY, "/friends/import": IMPORT_LIMIT}
CHUNK = 256 * 1024


def _limit(stack, path: str) -> int:
    return LIMITS.get(path, stack.settings.max_body_bytes)


async def _send(base_url: str, head: str, chunks: list[bytes] = ()) -> tuple[int, dict]:
    """Send the request line and headers, then `chunks` as they are; the status and JSON body
    of the answer that comes back (within 10 s: an answer still waiting for the rest of the
    body would never come)."""
    url = httpx.URL(base_url)
    reader, writer = await asyncio.open_connection(url.host, url.port)
    try:
        writer.write(head.encode() + b"\r\n")
        for chunk in chunks:
            writer.write(chunk)
            await writer.drain()
        answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        status = int(answer.split()[1])
        length = next(
            int(line.split(b":")[1])
            for line in answer.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        return status, json.loads(await asyncio.wait_for(reader.readexactly(length), 10))
    finally:
        writer.close()


def _head(method: str, path: str, *headers: str) -> str:
    media = "text/csv" if path == "/friends/import" else "application/json"
    lines = [f"{method} {path} HTTP/1.1", "Host: stepline", f"Content-Type: {media}"]
    return "\r\n".join([*lines, f"Authorization: Bearer {ADMIN_TOKEN}", *headers, ""])


def _refused(status: int, body: dict, limit: int) -> None:
    assert status == 413, body
    assert list(body) == ["detail"] and f"{limit:,} bytes" in body["detail"], body


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_a_content_length_over_the_limit_is_refused_unread(fuzzed, method, path):
    limit = _limit(fuzzed, path)
    head = _head(method, path, f"Content-Length: {limit + 1}")
    _refused(*await _send(str(fuzzed.api.base_url), head), limit)


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_a_chunked_body_is_cut_off_once_over_the_limit(fuzzed, method, path):
    limit = _limit(fuzzed, path)
    sizes = [CHUNK] * (limit // CHUNK) + [limit % CHUNK + 1]
    chunks = [f"{size:x}\r\n".encode() + b"x" * size + b"\r\n" for size in sizes if size]
    head = _head(method, path, "Transfer-Encoding: chunked")  # and no final 0-size chunk
    _refused(*await _send(str(fuzzed.api.base_url), head, chunks), limit)


async def test_a_body_at_the_limit_is_read(fuzzed):
    body = b"{}".rjust(fuzzed.settings.max_body_bytes)  # JSON allows the spaces
    answer = await fuzzed.api.post(
        "/scenarios", content=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 422, answer.text  # read and found wanting, not refused unread


async def test_the_admin_limit_is_stepline_max_body_bytes(monkeypatch):
    monkeypatch.setenv("STEPLINE_MAX_BODY_BYTES", "1000")
    app = create_app(settings_for(database_url="sqlite://", line_api="http://127.0.0.1:9"))
    transport = httpx.ASGITransport(app=app)  # refused before the app (never started) is asked
    async with httpx.AsyncClient(transport=transport, base_url="http://stepline") as client:
        answer = await client.post(
            "/events", content=b"x" * 1001, headers={"Content-Type": "application/json"}
        )
    _refused(answer.status_code, answer.json(), 1000)
