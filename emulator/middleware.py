"""ASGI middleware: LINE's x-line-request-id header, and dropping a connection without an answer."""

from __future__ import annotations

import asyncio

from emulator.ids import request_id


class RequestIdMiddleware:
    """Give every request an id (`request.state.line_request_id`), sent back as x-line-request-id."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id()
        scope.setdefault("state", {})["line_request_id"] = rid

        async def send_with_id(message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"x-line-request-id", rid.encode())]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_id)


class DropConnection(Exception):
    """Raised by a handler: close the client's connection without sending any response."""

    def __init__(self, fallback_hang_seconds: float = 30.0) -> None:
        super().__init__("connection dropped on purpose")
        self.fallback_hang_seconds = fallback_hang_seconds


class DropConnectionMiddleware:
    """Turn DropConnection into a real TCP close.

    uvicorn passes each request's `receive` as a bound method of its per-request cycle object,
    which holds the connection's asyncio transport; closing it makes the client see the server
    hang up (httpx: RemoteProtocolError, aiohttp: ServerDisconnectedError). Under a server where
    no transport can be found, hang instead so that the client times out.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        try:
            await self.app(scope, receive, send)
        except DropConnection as drop:
            transport = getattr(getattr(receive, "__self__", None), "transport", None)
            if transport is None:
                await asyncio.sleep(drop.fallback_hang_seconds)
                return
            transport.close()
            # Let connection_lost run so uvicorn marks the cycle disconnected and stays quiet.
            for _ in range(3):
                await asyncio.sleep(0)
