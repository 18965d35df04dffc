"""Attempts throttled per client: after `limit` wrong admin tokens (a login form or a bearer
header) within a minute, the client gets 429 with Retry-After until the oldest of them is a
minute old, right token or not; the same for route links opened (api/routes/join.py). Per
process (memory), bounded in size; behind a reverse proxy run uvicorn with --proxy-headers so
that the client is the browser, not the proxy (docs/SECURITY.md)."""

import math
import time
from collections import OrderedDict, deque

from fastapi import HTTPException, Request, status

WINDOW = 60.0
MAX_CLIENTS = 10_000  # clients remembered; the least recent are forgotten first
TOO_MANY_TOKENS = "too many wrong admin tokens from this address: try again later"


class Throttle:
    def __init__(self, limit: int, *, window: float = WINDOW, clock=time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def wait(self, client: str) -> float:
        """Seconds this client must wait before it may try again (0: it may now)."""
        failures = self._failures.get(client)
        if not self.limit or failures is None:
            return 0.0
        now = self.clock()
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if len(failures) < self.limit:
            return 0.0
        return failures[0] + self.window - now

    def record(self, client: str) -> None:
        """One more attempt (a wrong token, a route link opened) by this client."""
        failures = self._failures.setdefault(client, deque(maxlen=max(self.limit, 1)))
        failures.append(self.clock())
        self._failures.move_to_end(client)
        while len(self._failures) > MAX_CLIENTS:
            self._failures.popitem(last=False)

    def clear(self, client: str) -> None:
        self._failures.pop(client, None)

    def check(self, request: Request, detail: str = TOO_MANY_TOKENS) -> None:
        """429 while the request's client is throttled."""
        wait = self.wait(client_of(request))
        if wait > 0:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                detail=detail,
                headers={"Retry-After": str(math.ceil(wait))},
            )


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"
