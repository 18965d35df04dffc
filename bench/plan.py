"""What a benchmark run does (its Plan), its friends' user IDs, and arrivals paced at a rate."""

import asyncio
import gc
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

TICK = 0.1  # follows go out in a burst every tick


@dataclass
class Plan:
    """What one run does: friends waking at T, arriving at `rate` a second, and optionally
    `waiting` more friends enrolled first whose wait ends long after the run."""

    friends: int
    rate: float
    waiting: int = 0
    waiting_rate: float = 400.0
    database: str = "sqlite"  # or a PostgreSQL server's URL (a fresh database on it)
    slack: float | None = None  # seconds from the last follow to T (default: 20 + friends/50)
    webhook_processor: str = "process"  # STEPLINE_WEBHOOK_PROCESSOR: api | worker | process

    def wake_at(self) -> float:
        """T: after every follow has had time to become a waiting enrollment, so that what
        happens after T is the wake-up alone (the run says when enrolling did not finish)."""
        slack = self.slack if self.slack is not None else 20 + self.friends / 50
        return time.time() + self.friends / self.rate + slack


def user_ids(count: int, prefix: str) -> list[str]:
    """LINE user IDs (U + 32 lowercase hex digits), the first hex digit telling the groups
    apart in logs."""
    return [f"U{prefix}{uuid.uuid4().hex[1:]}" for _ in range(count)]


async def paced(
    count: int, rate: float, action: Callable[[int], Awaitable[float]]
) -> tuple[list[float], float]:
    """Run action(i) for i < count in bursts, `rate` a second; its latencies and the rate
    actually achieved (a slow answer delays nothing: bursts go out on the clock).

    The sender's own collector stays out of the figures: a full collection of this process
    (the Temporal client, the phase's bookkeeping) stopped its loop for 250–310 ms once a
    run — every answer then under way counted that much slower, most of a run's ack p99
    (docs/PERFORMANCE.md, step 30). LINE's sender is another machine; here what the bench
    made before is frozen out of the collector's walks and the collector waits until the
    last answer is in."""
    per_tick = max(1, round(rate * TICK))
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        started = time.monotonic()
        tasks: list[asyncio.Task] = []
        for first in range(0, count, per_tick):
            due = started + (first // per_tick) * TICK
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            tasks += [
                asyncio.create_task(action(i)) for i in range(first, min(count, first + per_tick))
            ]
        sent = time.monotonic() - started
        latencies = await asyncio.gather(*tasks)
    finally:
        gc.enable()
        gc.unfreeze()
    return list(latencies), count / max(sent + TICK, 1e-3)
