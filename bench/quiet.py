"""Between two phases, the machine left to settle: what one phase wrote is on disk and its
processes are gone before the next is timed (docs/PERFORMANCE.md, Method).

A phase leaves tens of megabytes of SQLite pages that the kernel writes back up to 30 s
later, and processes that take a moment to exit: timed right after, the next phase's
commits waited behind them (the stepline phase enrolled 121–152 a second after a floor
phase, 160–182 alone, the same code)."""

import os
import time

IDLE = 0.9  # of every core, over one look
LOOK = 0.5  # seconds a look lasts
AT_MOST = 5.0  # seconds to wait for it (a busy machine: CI runs tests beside the bench test)


def _busy_idle() -> tuple[int, int]:
    with open("/proc/stat") as stat:
        fields = [int(n) for n in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, idle


def settle(at_most: float = AT_MOST) -> float:
    """Write back what is dirty, then wait until a look finds the cores idle (or `at_most`
    seconds passed); the seconds it took. Where /proc/stat is missing, only the write-back."""
    began = time.monotonic()
    os.sync()
    if not os.path.exists("/proc/stat"):
        return time.monotonic() - began
    while time.monotonic() - began < at_most:
        busy, idle = _busy_idle()
        time.sleep(LOOK)
        busy_after, idle_after = _busy_idle()
        spent = (busy_after - busy) + (idle_after - idle)
        if spent and (idle_after - idle) / spent >= IDLE:
            break
    return time.monotonic() - began
