"""Whether Temporal answers, as the dispatcher (triggers/dispatch.py) last heard it, and when
to ask it again: while it is away the rows wait, and one command a second probes it."""

import asyncio
import logging
from datetime import datetime, timedelta

from store.pipeline_tables import Outbox
from store.types import utcnow
from triggers.temporal import unavailable

log = logging.getLogger("stepline.dispatch")
PROBE_EVERY = 1.0  # seconds between tries while Temporal is away
MAX_BACKOFF = timedelta(minutes=5)  # a row that keeps failing for another reason than Temporal


class TemporalAway:
    def __init__(self) -> None:
        self.since: datetime | None = None  # Temporal did not answer since then
        self._next_probe = 0.0

    def waiting(self) -> bool:
        """Away, and not yet time to probe it."""
        return self.since is not None and asyncio.get_running_loop().time() < self._next_probe

    def probing(self) -> None:
        """A probe is under way: the next one a PROBE_EVERY from now."""
        self._next_probe = asyncio.get_running_loop().time() + PROBE_EVERY

    def answered(self) -> None:
        if self.since is not None:
            log.info("Temporal answers again (away since %s)", self.since.isoformat())
            self.since = None

    def retry(self, row: Outbox, exc: Exception, *, temporal: bool) -> tuple[str, timedelta]:
        """What to record of a row that failed, and how long it waits before it is tried again.
        `temporal`: a call to Temporal failed (else the store or the evaluation did: Temporal
        is not taken for away); Temporal unreachable, the row waits for the probe, not a delay."""
        if temporal and unavailable(exc):
            if self.since is None:
                self.since = utcnow()
                log.warning("Temporal unreachable, changes wait for it: %s", exc)
            self.probing()
            return f"Temporal unreachable: {type(exc).__name__}: {exc}", timedelta(0)
        log.warning("outbox row %s (%s) failed, tried again later: %r", row.seq, row.kind, exc)
        delay = min(timedelta(seconds=0.5) * 2 ** min(row.attempts, 20), MAX_BACKOFF)
        return f"{type(exc).__name__}: {exc}", delay
