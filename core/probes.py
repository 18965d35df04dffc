"""Liveness and readiness of a process whose probes are answered from a thread of their own
(the worker's metrics port, core/metrics.py `serve`): the event loop writes down what it knows
— a heartbeat every second, the readiness checks every two — and the thread only reads that,
never calling into the loop.

- `/healthz` (alive): the loop's heartbeat is at most 10 s old;
- `/readyz` (ready): alive, each check `ok` when last run (at most 10 s ago), not stopping.

Like the API's, the answers name what is not ready, never an address or an error's text
(those go to the log)."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

log = logging.getLogger("stepline.probes")
OK = "ok"
Check = Callable[[], Awaitable[str]]  # a state: "ok", or what is wrong in a word or two


async def run_checks(
    checks: Mapping[str, Check], timeout: float, *, where: str, logger: logging.Logger = log
) -> dict[str, str]:
    """Every check at once, each given `timeout` seconds: its state, or `unreachable` when it
    raised or gave no answer (why goes to `logger`, prefixed `where`: anyone may read the
    states). The worker's /readyz and the API's alike."""

    async def state(name: str, check: Check) -> str:
        began = time.monotonic()
        try:
            return await asyncio.wait_for(check(), timeout)
        except Exception as exc:
            # a check cancelled at its timeout may raise something else on its way out (a
            # database connection cut off mid-statement cannot roll back): still no answer
            if isinstance(exc, TimeoutError) or time.monotonic() - began >= timeout:
                logger.warning("%s: %s gave no answer within %g s", where, name, timeout)
            else:
                logger.warning("%s: %s unreachable: %s: %s", where, name, type(exc).__name__, exc)
        return "unreachable"

    states = await asyncio.gather(*(state(name, check) for name, check in checks.items()))
    return dict(zip(checks, states, strict=True))


class Probes:
    def __init__(
        self, *, stale_after: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.clock = clock
        self.stale_after = stale_after
        self.beat = clock()
        # (when, states), replaced whole so the thread never reads half of an update
        self.checked: tuple[float, dict[str, str]] | None = None
        self.stopping = False

    # --- the loop's side -------------------------------------------------------------------

    async def heartbeat(self, every: float = 1.0) -> None:
        """Until cancelled: the loop is responsive as long as this keeps writing."""
        while True:
            self.beat = self.clock()
            await asyncio.sleep(every)

    async def check(self, checks: Mapping[str, Check], timeout: float = 2.0) -> dict[str, str]:
        """Every check at once, each given `timeout` seconds; their states, recorded."""
        states = await run_checks(checks, timeout, where="readiness")
        self.record(states.items())
        return states

    async def watch(
        self, checks: Mapping[str, Check], every: float = 2.0, timeout: float = 2.0
    ) -> None:
        """Until cancelled: the checks, every `every` seconds."""
        while True:
            await self.check(checks, timeout)
            await asyncio.sleep(every)

    def record(self, states: Iterable[tuple[str, str]]) -> None:
        self.checked = (self.clock(), dict(states))

    # --- the thread's side -----------------------------------------------------------------

    def alive(self) -> tuple[int, dict[str, Any]]:
        silent = self.clock() - self.beat
        if silent > self.stale_after:
            return 503, {
                "status": "unavailable",
                "detail": f"event loop unresponsive for {silent:.0f} s",
            }
        return 200, {"status": "ok"}

    def ready(self) -> tuple[int, dict[str, Any]]:
        if self.stopping:
            return 503, {"status": "unavailable", "detail": "shutting down"}
        code, body = self.alive()
        if code != 200:
            return code, body
        checked = self.checked
        if checked is None:
            return 503, {"status": "unavailable", "detail": "starting"}
        when, states = checked
        if self.clock() - when > self.stale_after:
            return 503, {
                "status": "unavailable",
                "detail": "readiness not checked lately",
                **states,
            }
        wrong = [f"{name} {state}" for name, state in states.items() if state != OK]
        if wrong:
            return 503, {"status": "unavailable", "detail": "; ".join(wrong), **states}
        return 200, {"status": "ok", **states}
