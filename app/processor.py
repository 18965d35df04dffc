"""The processing process of STEPLINE_WEBHOOK_PROCESSOR=process (`python -m app.processor`),
started and kept by an API process (app/processing.py): the dispatcher until SIGTERM or the
end of its standard input."""

import asyncio
import os
import signal
import sys

from app.processing import READY, received
from app.roles import processing_role
from core import exits, heap, logs, metrics
from core.config import Settings


async def serve(settings: Settings, ready: int) -> None:
    """The child: the dispatcher on its own store connection and Temporal client until SIGTERM
    or the end of the standard input; READY written to the descriptor `ready` once it runs."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    class Watch(asyncio.Protocol):  # the pipe from the API: its end is the API's
        def connection_lost(self, exc: Exception | None) -> None:
            stop.set()

    await loop.connect_read_pipe(Watch, sys.stdin)
    port = settings.processor_metrics_port
    served = port and metrics.serve(
        port, settings.worker_metrics_host, setting="STEPLINE_PROCESSOR_METRICS_PORT"
    )
    async with processing_role(settings):
        heap.settle()  # its start-up heap out of every full collection's walk (core/heap.py)
        os.write(ready, READY)
        os.close(ready)
        await stop.wait()
    if served:
        await asyncio.to_thread(served.shutdown)


def run() -> int:
    # the standard output is the API's pipe for READY alone: anything else printed goes to
    # the standard error, with the logs
    ready = os.dup(1)
    os.dup2(2, 1)
    settings = received(sys.stdin.buffer.readline())
    logs.configure(settings.log_format)
    try:
        asyncio.run(serve(settings, ready))
    except RuntimeError as exc:  # its metrics port taken, say: one line, not a traceback
        sys.stderr.write(f"stepline processing: {exc}\n")
        return 2
    return 0


if __name__ == "__main__":
    exits.leave(run())
