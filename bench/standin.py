"""A LINE stand-in for the benchmark: answers every push and multicast at once, the way LINE
answers an accepted one, and remembers when each recipient's message arrived. No emulator
features, so that LINE is never the bottleneck being measured — except for LINE's own limits,
which it enforces as LINE documents them: 2,000 push and 200 multicast requests a second per
channel (a sliding second, per endpoint; beyond them a 429), and one acceptance per
X-Line-Retry-Key (a repeated key is a 409 naming the accepted request).

`python -m bench.standin --port P [--push-limit 2000] [--multicast-limit 200]`;
`GET /bench/pushes` lists what arrived, one entry per recipient: [user, retry key, Unix time,
LINE's request id, endpoint] (a multicast to 300 friends is 300 entries of one request id);
`GET /bench/count` their number; `GET /bench/stats` the requests per endpoint (accepted, 409,
429, 400); `DELETE /bench/pushes` forgets all of it."""

import argparse
import json
import time
import uuid
from collections import deque

import uvicorn

PUSH = "/v2/bot/message/push"
MULTICAST = "/v2/bot/message/multicast"
PROFILE = "/v2/bot/profile/"
ENDPOINTS = {PUSH: "push", MULTICAST: "multicast"}
LIMITS = {"push": 2000, "multicast": 200}  # LINE's documented requests a second per channel
MAX_RECIPIENTS = 500  # LINE's cap on a multicast's `to`
RATE_LIMITED = {"message": "The API rate limit has been exceeded. Try again later."}


class Endpoint:
    """One message endpoint's limit over a sliding second, and what it answered."""

    def __init__(self, limit: int):
        self.limit = limit
        self.recent: deque[float] = deque()  # monotonic times of the requests let through
        self.stats = {"requests": 0, "accepted": 0, "conflicts": 0, "limited": 0, "invalid": 0}

    def admit(self) -> bool:
        """Whether one more request fits within the last second (counted if it does)."""
        self.stats["requests"] += 1
        now = time.monotonic()
        while self.recent and now - self.recent[0] >= 1.0:
            self.recent.popleft()
        if len(self.recent) >= self.limit:
            self.stats["limited"] += 1
            return False
        self.recent.append(now)
        return True


class StandIn:
    def __init__(
        self, push_limit: int = LIMITS["push"], multicast_limit: int = LIMITS["multicast"]
    ):
        self.limits = {"push": push_limit, "multicast": multicast_limit}
        self.pushes: list[tuple[str, str, float, str, str]] = []
        self.keys: dict[str, str] = {}  # retry key → request id of the accepted request
        self.endpoints = {name: Endpoint(limit) for name, limit in self.limits.items()}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path, method = scope["path"], scope["method"]
        if method == "POST" and path in ENDPOINTS:
            await self.message(ENDPOINTS[path], scope, body, send)
        elif method == "GET" and path.startswith(PROFILE):
            user = path[len(PROFILE) :]
            await _answer(send, 200, {"userId": user, "displayName": user[-6:], "language": "ja"})
        elif method == "GET" and path == "/bench/count":
            await _answer(send, 200, {"count": len(self.pushes)})
        elif method == "GET" and path == "/bench/pushes":
            await _answer(send, 200, {"pushes": self.pushes})
        elif method == "GET" and path == "/bench/stats":
            await _answer(send, 200, self.stats())
        elif method == "DELETE" and path == "/bench/pushes":
            self.pushes.clear()
            self.endpoints = {name: Endpoint(limit) for name, limit in self.limits.items()}
            await _answer(send, 200, {})
        else:
            await _answer(send, 404, {"message": "Not found"})

    def stats(self) -> dict:
        return {
            "limits": self.limits,
            "endpoints": {name: e.stats for name, e in self.endpoints.items()},
            "recipients": len(self.pushes),
        }

    async def message(self, endpoint: str, scope, body: bytes, send) -> None:
        """A push or a multicast: the rate limit first (LINE counts a request it refuses with
        a 429 against nothing), then the retry key, then one arrival per recipient."""
        counter = self.endpoints[endpoint]
        if not counter.admit():
            await _answer(send, 429, RATE_LIMITED)
            return
        headers = dict(scope["headers"])
        key = headers.get(b"x-line-retry-key", b"").decode()
        if key and key in self.keys:
            counter.stats["conflicts"] += 1
            await _answer(
                send,
                409,
                {"message": "The retry key is already accepted"},
                [(b"x-line-accepted-request-id", self.keys[key].encode())],
            )
            return
        to = json.loads(body)["to"]
        recipients = [to] if endpoint == "push" else list(to)
        if not recipients or len(recipients) > MAX_RECIPIENTS:
            counter.stats["invalid"] += 1
            await _answer(send, 400, {"message": "The request body has 1 error(s)"})
            return
        request_id = str(uuid.uuid4())
        if key:
            self.keys[key] = request_id
        counter.stats["accepted"] += 1
        now = time.time()
        self.pushes.extend((user, key, now, request_id, endpoint) for user in recipients)
        if endpoint == "push":
            sent = {"sentMessages": [{"id": str(len(self.pushes)), "quotaConsumption": 1}]}
        else:
            sent = {}  # LINE answers a multicast with an empty object
        await _answer(send, 200, sent, [(b"x-line-request-id", request_id.encode())])


async def _answer(send, status: int, payload: dict, headers: list | None = None) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), *(headers or [])],
        }
    )
    await send({"type": "http.response.body", "body": body})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--push-limit", type=int, default=LIMITS["push"])
    parser.add_argument("--multicast-limit", type=int, default=LIMITS["multicast"])
    args = parser.parse_args()
    uvicorn.run(
        StandIn(args.push_limit, args.multicast_limit),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
    )
