"""Request bodies over a limit are refused (413) before they are read: a Content-Length over the
limit at once, without reading anything; a body without one (chunked) as soon as what has
arrived passes it. The answer is `{"detail": …}` naming the limit, like every other error."""

from collections.abc import Mapping

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MIB = 1024 * 1024


def too_large(limit: int, hint: str | None = None) -> str:
    size = f"{limit // MIB} MiB" if limit % MIB == 0 else f"{limit:,} bytes"
    said = f"the request body is larger than {size} ({limit:,} bytes), the limit of this route"
    return f"{said}: {hint}" if hint else said


class BodyLimit:
    """ASGI middleware: `default` bytes for every path, except those given their own limit
    (and, in `hints`, what to do instead)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        default: int,
        limits: Mapping[str, int],
        hints: Mapping[str, str] | None = None,
    ) -> None:
        self.app, self.default, self.limits = app, default, dict(limits)
        self.hints = dict(hints or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.default)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            detail = too_large(limit, self.hints.get(scope["path"]))
            await JSONResponse({"detail": detail}, status_code=413)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # raised where the route reads its body: rendered like any HTTPException
                    raise HTTPException(413, detail=too_large(limit, self.hints.get(scope["path"])))
            return message

        await self.app(scope, counted, send)
