"""A LINE stand-in for the benchmark: answers every push at once, the way LINE answers an
accepted one, and remembers when each arrived. No emulator features, so that LINE is never the
bottleneck being measured. `python -m bench.standin --port P`; `GET /bench/pushes` lists
what arrived (user, retry key, Unix time)."""

import argparse
import json
import time
import uuid

import uvicorn

PUSH = "/v2/bot/message/push"
PROFILE = "/v2/bot/profile/"


class StandIn:
    def __init__(self) -> None:
        self.pushes: list[tuple[str, str, float]] = []
        self.keys: dict[str, str] = {}  # retry key → request id of the accepted push

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
        if method == "POST" and path == PUSH:
            await self.push(scope, body, send)
        elif method == "GET" and path.startswith(PROFILE):
            user = path[len(PROFILE) :]
            await _answer(send, 200, {"userId": user, "displayName": user[-6:], "language": "ja"})
        elif method == "GET" and path == "/bench/count":
            await _answer(send, 200, {"count": len(self.pushes)})
        elif method == "GET" and path == "/bench/pushes":
            await _answer(send, 200, {"pushes": self.pushes})
        elif method == "DELETE" and path == "/bench/pushes":
            self.pushes.clear()
            await _answer(send, 200, {})
        else:
            await _answer(send, 404, {"message": "Not found"})

    async def push(self, scope, body: bytes, send) -> None:
        """LINE's push: a repeated X-Line-Retry-Key is a 409 naming the accepted request."""
        headers = dict(scope["headers"])
        key = headers.get(b"x-line-retry-key", b"").decode()
        if key and key in self.keys:
            await _answer(
                send,
                409,
                {"message": "The retry key is already accepted"},
                [(b"x-line-accepted-request-id", self.keys[key].encode())],
            )
            return
        request_id = str(uuid.uuid4())
        if key:
            self.keys[key] = request_id
        self.pushes.append((json.loads(body)["to"], key, time.time()))
        sent = {"sentMessages": [{"id": str(len(self.pushes)), "quotaConsumption": 1}]}
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
    port = parser.parse_args().port
    uvicorn.run(StandIn(), host="127.0.0.1", port=port, log_level="warning", access_log=False)
