"""Between two phases, the machine left to settle: what one phase wrote is on disk and its
processes are gone before the next is timed (docs/PERFORMANCE.md, Method).

A phase leaves tens of megabytes of SQLite pages that the kernel writes back up to 30 s
later, and processes that take a moment to exit: timed right after, the next phase's
commits waited behind them (the stepline phase enrolled 121–152 a second after a floor
phase, 160–182 alone, the same code)."""

import os
import time

from bench.measure import machine_seconds

IDLE = 0.9  # of every core, over one look
LOOK = 0.5  # seconds a look lasts
AT_MOST = 5.0  # seconds to wait for it (a busy machine: CI runs tests beside the bench test)


def settle(at_most: float = AT_MOST) -> float:
    """Write back what is dirty, then wait until a look finds the cores idle (or `at_most`
    seconds passed); the seconds it took. Where /proc/stat is missing, only the write-back."""
    began = time.monotonic()
    os.sync()
    if not os.path.exists("/proc/stat"):
        return time.monotonic() - began
    cores = os.cpu_count() or 1
    while time.monotonic() - began < at_most:
        busy, looked = machine_seconds()[0], time.monotonic()
        time.sleep(LOOK)
        spent = machine_seconds()[0] - busy
        if spent <= (1 - IDLE) * cores * (time.monotonic() - looked):
            break
    return time.monotonic() - began
