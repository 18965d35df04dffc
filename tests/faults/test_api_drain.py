"""Graceful stop of the API (docs/DEPLOY.md): told to stop (SIGTERM) while a webhook is still
being received, uvicorn (`--timeout-graceful-shutdown`) takes no new connection but finishes
that request — answered 200, every one of its events recorded — before the process ends."""

import asyncio
import signal
import time

import httpx
from sqlmodel import func, select

from bench import processes
from core.serve import free_port
from store.db import Database
from store.pipeline_tables import Outbox
from store.tables import WebhookEvent
from tests.api.helpers import signed
from tests.api.test_webhook import follow, webhook
from tests.faults.processes import environment
from tests.support.stack import user

EVENTS = 300  # recorded at once (the first ones) or as outbox batches: durable either way
CHUNKS = 10


async def test_sigterm_mid_request_finishes_it_and_takes_no_new_one(tmp_path):
    database_url = f"sqlite:///{tmp_path}/stepline.db"
    env = environment(
        database_url=database_url,
        temporal=f"127.0.0.1:{free_port()}",  # away: webhooks are recorded all the same
        line_url="http://127.0.0.1:9",
        task_queue="api-drain",
    )
    port = free_port()
    api = processes.api(tmp_path, env, port)
    api.command += ["--timeout-graceful-shutdown", "20"]
    api.start()
    try:
        await asyncio.to_thread(processes.wait_for_port, f"127.0.0.1:{port}", api)
        events = [
            follow(user(7000 + n), event_id=f"01DRAIN{n:020d}", ts=1_790_000_000_000 + n)
            for n in range(EVENTS)
        ]
        body, headers = signed(webhook(*events))
        sent_half = asyncio.Event()

        async def slowly():  # a body still arriving when the signal comes
            size = len(body) // CHUNKS + 1
            for n in range(CHUNKS):
                yield body[n * size : (n + 1) * size]
                if n == CHUNKS // 2:
                    sent_half.set()
                await asyncio.sleep(0.2)

        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            posting = asyncio.create_task(
                client.post("/webhooks/line", content=slowly(), headers=headers)
            )
            await sent_half.wait()
            assert api.child is not None
            api.child.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.3)
            started = time.monotonic()
            try:  # a new connection is not taken any more
                async with httpx.AsyncClient(timeout=2) as other:
                    refused = await other.get(f"http://127.0.0.1:{port}/healthz")
            except httpx.TransportError:
                refused = None
            answer = await posting
        assert answer.status_code == 200, answer.text
        assert refused is None, refused
        code = await asyncio.to_thread(api.child.wait, 30)
        assert code in (0, -signal.SIGTERM), api.tail()  # uvicorn re-raises the signal it got
        assert time.monotonic() - started < 20
    finally:
        api.stop()

    db = Database(database_url)
    try:
        async with db.session() as session:
            recorded = (await session.exec(select(func.count()).select_from(WebhookEvent))).one()
            batches = list(await session.exec(select(Outbox).where(Outbox.kind == "webhook_batch")))
    finally:
        await db.close()
    waiting = sum(len(row.payload["rows"]) for row in batches)
    assert recorded + waiting == EVENTS  # every event durable: recorded, or in the outbox
