"""One emulator and one webhook receiver, served for the whole session; state reset per test."""

import uuid
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from core.serve import serving
from emulator.app import EmulatorConfig, create_app
from emulator.state import EmulatorState

TOKEN = "test-access-token"
SECRET = "test-channel-secret"


def user(n: int) -> str:
    """A well-formed LINE user ID."""
    return f"U{n:032x}"


def retry_key() -> str:
    return str(uuid.uuid4())


def text(body: str = "hello") -> dict:
    return {"type": "text", "text": body}


class FakeClock:
    def __init__(self, start: float = 1_780_000_000.0) -> None:  # 2026-05-28, JST month May
        self.now = start

    def __call__(self) -> float:
        return self.now


@dataclass
class Receiver:
    """A bot server stand-in: records each webhook POST and answers `status`."""

    url: str = ""
    status: int = 200
    requests: list[tuple[dict, bytes]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/webhooks/line")
        async def webhook(request: Request) -> Response:
            self.requests.append((dict(request.headers), await request.body()))
            return Response("OK" if self.status == 200 else "nope", status_code=self.status)

        return app


@pytest.fixture(scope="session")
async def _servers():
    receiver = Receiver()
    config = EmulatorConfig(access_token=TOKEN, channel_secret=SECRET)
    app = create_app(config)
    async with serving(receiver.app()) as receiver_url, serving(app) as emulator_url:
        receiver.url = f"{receiver_url}/webhooks/line"
        yield app, emulator_url, receiver


@pytest.fixture
def receiver(_servers) -> Receiver:
    return _servers[2]


@pytest.fixture
def state(_servers, receiver) -> EmulatorState:
    """The emulator's state, reset with the default test configuration."""
    app = _servers[0]
    emulator: EmulatorState = app.state.emulator
    emulator.config = EmulatorConfig(
        access_token=TOKEN, channel_secret=SECRET, webhook_url=receiver.url
    )
    emulator.clock = FakeClock()
    emulator.reset()
    receiver.status, receiver.requests[:] = 200, []
    return emulator


@pytest.fixture
def base_url(_servers, state) -> str:
    return _servers[1]


@pytest.fixture
async def client(base_url):
    """An httpx client authenticated as the channel."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=5) as http:
        yield http


async def push(client: httpx.AsyncClient, to: str, messages: list, key: str | None = None):
    headers = {"X-Line-Retry-Key": key} if key else {}
    body = {"to": to, "messages": messages}
    return await client.post("/v2/bot/message/push", json=body, headers=headers)


async def befriend(client: httpx.AsyncClient, *user_ids: str) -> None:
    for user_id in user_ids:
        response = await client.post(f"/emulator/users/{user_id}/follow")
        assert response.status_code == 200
