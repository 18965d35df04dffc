"""The figures a benchmark phase reports, and how they are read off processes and files."""

import math
import os
from pathlib import Path

from pydantic import BaseModel


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (share in 0..1); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM), in MB; 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far, with that of the processes it
    started and still runs (the API's processing child, STEPLINE_WEBHOOK_PROCESSOR=process)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(int(child)) for child in children)


def machine_seconds() -> tuple[float, float]:
    """CPU seconds the whole machine (every core, every process) has been busy, and waiting
    for the disk, from /proc/stat."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(fields[:8]) - fields[3] - fields[4]) / tick, fields[4] / tick


def file_bytes(*databases: Path) -> int:
    """A SQLite database's size on disk, its WAL and shared-memory files included."""
    total = 0
    for database in databases:
        for suffix in ("", "-wal", "-shm"):
            path = database.with_name(database.name + suffix)
            if path.exists():
                total += path.stat().st_size
    return total


class Figures(BaseModel):
    """One phase (floor or stepline), side by side with the other."""

    friends: int
    ack_p50_ms: float | None  # webhook acknowledged (floor: start_workflow returned)
    ack_p99_ms: float | None
    ack_max_ms: float | None
    unanswered: int = 0  # webhooks (floor: starts) that got no answer and were sent again
    arrival_per_s: float  # follows (floor: starts) sent per second
    enrolments_per_s: float  # all workflows started, over the time from the first follow
    waiting_enrolments_per_s: float | None = None  # --waiting: those enrolled before, a second
    enrolled_before_t_s: float  # all were enrolled this long before T (negative: after T)
    deliveries_per_s: float  # pushes that arrived, over the time from T to the last one
    lateness_p50_s: float | None  # push arrived at LINE minus the planned moment T
    lateness_p99_s: float | None
    lateness_max_s: float | None
    delivered: int
    duplicates: int  # pushes LINE accepted twice for one friend (must be 0)
    worker_peak_rss_mb: float
    server_peak_rss_mb: float
    db_bytes_per_enrollment: float
    cpu_ms_per_friend: dict[str, float] = {}  # CPU time of each process, per friend
    seconds: float  # the phase's wall-clock time


def lateness_figures(arrivals: list[float], planned: float) -> dict:
    late = [t - planned for t in arrivals]
    last = max(arrivals) if arrivals else planned
    return {
        "lateness_p50_s": _round(percentile(late, 0.50), 3),
        "lateness_p99_s": _round(percentile(late, 0.99), 3),
        "lateness_max_s": _round(max(late), 3) if late else None,
        "deliveries_per_s": round(len(arrivals) / max(last - planned, 1e-3), 1),
        "delivered": len(arrivals),
    }


def ack_figures(seconds: list[float]) -> dict:
    return {
        "ack_p50_ms": _round(_ms(percentile(seconds, 0.50)), 1),
        "ack_p99_ms": _round(_ms(percentile(seconds, 0.99)), 1),
        "ack_max_ms": _round(_ms(max(seconds) if seconds else None), 1),
    }


def _ms(value: float | None) -> float | None:
    return None if value is None else value * 1000


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
