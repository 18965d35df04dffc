"""Request bodies over a limit are refused (413) before they are read: a Content-Length over the
limit at once, without reading anything; a body without one (chunked) as soon as what has
arrived passes it. The answer is `{"detail": …}` naming the limit, like every other error."""

from collections.abc import Mapping

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MIB = 1024 * 1024


def too_large(limit: int) -> str:
    size = f"{limit // MIB} MiB" if limit % MIB == 0 else f"{limit:,} bytes"
    return f"the request body is larger than {size} ({limit:,} bytes), the limit of this route"


class BodyLimit:
    """ASGI middleware: `default` bytes for every path, except those given their own limit."""

    def __init__(self, app: ASGIApp, *, default: int, limits: Mapping[str, int]) -> None:
        self.app, self.default, self.limits = app, default, dict(limits)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.default)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await JSONResponse({"detail": too_large(limit)}, status_code=413)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # raised where the route reads its body: rendered like any HTTPException
                    raise HTTPException(413, detail=too_large(limit))
            return message

        await self.app(scope, counted, send)
