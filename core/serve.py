"""Run an ASGI app with uvicorn inside the current event loop (tests, the dev runner, bench)."""

import asyncio
import random
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn

_ports = random.SystemRandom()  # not the seedable global one: tests may seed that
_held: dict[int, socket.socket | None] = {}  # this process's reservations (see _reserve)


def _reserve(port: int) -> bool:
    """Claim `port` for this process, for as long as it lives, against every other process on
    the machine that picks ports here: a port picked by one test process is never picked by
    another (pytest-xdist runs two) while the first may still start — or start again — a server
    on it. The claim is an abstract Unix socket named after the port (Linux: the kernel drops it
    when the process ends, however it ends; no file is left). Elsewhere it holds within this
    process only."""
    if port in _held:
        return False
    if not sys.platform.startswith("linux"):
        _held[port] = None
        return True
    claim = claim_of(port)
    if claim is None:
        return False
    _held[port] = claim
    return True


def claim_of(port: int) -> socket.socket | None:
    """The claim on `port` (Linux): an abstract Unix socket named after it, bound; None when
    another process holds it."""
    claim = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        claim.bind(f"\0stepline-port-{port}")
    except OSError:
        claim.close()
        return None
    return claim


def unbound(port: int) -> bool:
    """Whether nothing on this machine is bound to `port` on 127.0.0.1 just now."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A free port below Linux's ephemeral range (32768-60999), so a server stopped and started
    again on it cannot find it taken by some outgoing connection meanwhile (a port the kernel
    hands out for `bind(0)` lies inside that range and can be), and claimed for this process so
    that no other process picking ports here takes it between now and its server's start."""
    for _ in range(200):
        port = _ports.randrange(20_000, 32_000)
        if _reserve(port) and unbound(port):
            return port
    raise RuntimeError("no free port between 20000 and 32000")


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
