"""Run an ASGI app with uvicorn inside the current event loop (tests, the dev runner, bench)."""

import asyncio
import random
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn

_ports = random.SystemRandom()  # not the seedable global one: tests may seed that


def free_port() -> int:
    """A free port below Linux's ephemeral range (32768-60999), so a server stopped and started
    again on it cannot find it taken by some outgoing connection meanwhile (a port the kernel
    hands out for `bind(0)` lies inside that range and can be)."""
    for _ in range(50):
        port = _ports.randrange(20_000, 32_000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def serving(app, *, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
    """Serve `app` until the block ends; yields its base URL (a free port when port=0)."""
    port = port or free_port()
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()  # surfaces the start-up error
                raise RuntimeError(f"server on port {port} stopped during start-up")
            await asyncio.sleep(0.02)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await task
