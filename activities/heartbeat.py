"""Heartbeats for activities that may run long, so that a worker dying mid-activity is noticed
after the heartbeat timeout instead of the whole start-to-close timeout."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from temporalio import activity

EVERY = 3.0  # seconds; a block that ends sooner costs no heartbeat at all


@asynccontextmanager
async def heartbeating(every: float = EVERY) -> AsyncIterator[None]:
    async def beat() -> None:
        while True:
            await asyncio.sleep(every)
            activity.heartbeat()

    if activity.info().is_local:  # a local activity's liveness is its workflow task's
        yield
        return
    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
