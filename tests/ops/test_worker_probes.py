"""The worker's probes on its metrics port: /healthz while its event loop is responsive,
/readyz while its Temporal worker polls, the database answers and the schema is at head, and
503 `shutting down` from SIGTERM on while it drains. The HTTP thread only reads what the loop
wrote down (core/probes.py)."""

import asyncio
import signal
import time
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from bench.processes import temporal_server, wait_for_port, worker
from core import metrics
from core.probes import Probes, run_checks
from core.serve import free_port, serving
from tests.api.helpers import scenario, text
from tests.faults.processes import environment
from tests.support.stack import running_stack, user


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def ok() -> str:
    return "ok"


async def refused() -> str:
    raise ConnectionRefusedError("127.0.0.1:5432 refused")  # an address: never in the answer


async def hangs() -> str:
    await asyncio.sleep(60)
    return "ok"


def get(port: int, path: str) -> tuple[int, dict | str]:
    answer = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5)
    if answer.headers["content-type"] == "application/json":
        return answer.status_code, answer.json()
    return answer.status_code, answer.text


async def test_the_probe_server_answers_from_what_the_loop_wrote_down(caplog):
    clock = Clock()
    probes = Probes(clock=clock)
    port = free_port()
    server = metrics.serve(port, probes=probes)
    try:
        assert get(port, "/healthz") == (200, {"status": "ok"})
        assert get(port, "/readyz") == (503, {"status": "unavailable", "detail": "starting"})
        code, counters = get(port, "/metrics")  # still the counters
        assert code == 200 and "# TYPE stepline_sends_total counter" in counters

        await probes.check({"temporal": ok, "database": ok, "migrations": ok})
        ready = {"status": "ok", "temporal": "ok", "database": "ok", "migrations": "ok"}
        assert get(port, "/readyz") == (200, ready)

        started = time.monotonic()
        states = await probes.check(
            {"temporal": hangs, "database": refused, "migrations": ok}, timeout=0.2
        )
        assert time.monotonic() - started < 1  # at once, each bounded
        assert states == {"temporal": "unreachable", "database": "unreachable", "migrations": "ok"}
        code, body = get(port, "/readyz")
        assert code == 503
        assert body["detail"] == "temporal unreachable; database unreachable"
        assert "5432" not in str(body)  # the log has it
        assert any("5432 refused" in r.getMessage() for r in caplog.records)

        await probes.check({"temporal": ok, "database": ok, "migrations": ok})
        assert get(port, "/readyz")[0] == 200
        clock.now += 11  # no heartbeat for 11 s: the loop is stuck
        assert get(port, "/healthz") == (
            503,
            {"status": "unavailable", "detail": "event loop unresponsive for 11 s"},
        )
        assert get(port, "/readyz")[0] == 503
        probes.beat = clock.now  # it beats again, but the checks are 11 s old
        assert get(port, "/healthz")[0] == 200
        assert get(port, "/readyz")[1]["detail"] == "readiness not checked lately"
        await probes.check({"temporal": ok, "database": ok, "migrations": ok})
        assert get(port, "/readyz")[0] == 200

        probes.stopping = True  # SIGTERM
        assert get(port, "/readyz") == (503, {"status": "unavailable", "detail": "shutting down"})
        assert get(port, "/healthz")[0] == 200  # draining is not hanging
    finally:
        server.shutdown()
        server.server_close()


async def test_a_check_that_fails_as_it_is_cut_off_at_its_timeout_gave_no_answer(caplog):
    """A check cancelled at its timeout that raises something else on its way out (a
    database connection cut off mid-statement: PendingRollbackError) reads as no answer,
    not as the error; one that fails at once reads as that error."""

    async def slow_then_broken() -> str:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            raise RuntimeError("cannot roll back") from None
        return "ok"

    async def broken() -> str:
        raise RuntimeError("refused")

    async def fine() -> str:
        return "ok"

    checks = {"slow": slow_then_broken, "broken": broken, "fine": fine}
    states = await run_checks(checks, 0.1, where="test")
    assert states == {"slow": "unreachable", "broken": "unreachable", "fine": "ok"}
    said = [record.getMessage() for record in caplog.records]
    assert "test: slow gave no answer within 0.1 s" in said
    assert "test: broken unreachable: RuntimeError: refused" in said


async def test_a_blocked_event_loop_reads_as_not_alive():
    """The thread answers while the loop is busy, and says the loop is unresponsive."""
    probes = Probes(stale_after=0.3)
    port = free_port()
    server = metrics.serve(port, probes=probes)
    beating = asyncio.create_task(probes.heartbeat(every=0.05))
    try:
        await asyncio.sleep(0.1)
        assert get(port, "/healthz")[0] == 200
        time.sleep(0.5)  # the loop blocked: no heartbeat meanwhile
        assert get(port, "/healthz")[0] == 503  # asked from the blocked loop: the thread answers
        await asyncio.sleep(0.1)
        assert get(port, "/healthz")[0] == 200
    finally:
        beating.cancel()
        server.shutdown()
        server.server_close()


def slow_line(pushed: asyncio.Event, release: asyncio.Event):
    """LINE's push endpoint that holds each push until `release`: a push under way."""

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        pushed.set()
        await release.wait()
        body = b'{"sentMessages": [{"id": "1", "quoteToken": "q"}]}'
        headers = [(b"content-type", b"application/json"), (b"x-line-request-id", b"r1")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


async def until(check, what: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        found = await asyncio.to_thread(check)
        if found:
            return found
        assert time.monotonic() < deadline, f"never: {what}"
        await asyncio.sleep(0.1)


async def test_the_worker_is_ready_once_polling_and_not_while_it_drains(tmp_path: Path):
    async with AsyncExitStack() as exits:
        server, address = temporal_server(tmp_path)
        server.start()
        exits.callback(server.stop)
        await asyncio.to_thread(wait_for_port, address, server)
        client = await Client.connect(address, data_converter=pydantic_data_converter)
        database_url = f"sqlite:///{tmp_path}/stepline.db"
        # the API (and its dispatcher) in this process; no worker of its own
        stack = await exits.enter_async_context(
            running_stack(
                WorkflowEnvironment.from_client(client), database_url=database_url, worker=False
            )
        )
        pushed, release = asyncio.Event(), asyncio.Event()
        line_url = await exits.enter_async_context(serving(slow_line(pushed, release)))
        exits.callback(release.set)  # before the server stops: a push held is let go
        port = free_port()
        env = environment(
            database_url=database_url,
            temporal=address,
            line_url=line_url,
            task_queue=stack.settings.task_queue,
            STEPLINE_WORKER_METRICS_PORT=str(port),
        )
        process = worker(tmp_path, env)
        process.start()
        exits.callback(process.stop)

        def probe(path: str, status: int | None = None) -> tuple[int, dict] | None:
            """The answer (with `status` only), None while nothing listens."""
            process.check_alive()
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2)
            except httpx.TransportError:
                return None
            if status is not None and answer.status_code != status:
                return None
            return answer.status_code, answer.json()

        await until(lambda: probe("/healthz"), "the worker's port answering")
        assert (await asyncio.to_thread(probe, "/readyz"))[0] == 503  # not polling yet
        ready = await until(lambda: probe("/readyz", 200), "ready once polling")
        assert ready[1] == {"status": "ok", "temporal": "ok", "database": "ok", "migrations": "ok"}

        await stack.scenario(scenario(text("welcome", "Welcome")))
        await stack.follow(user(4242))
        await asyncio.wait_for(pushed.wait(), 20)  # the worker's push is under way
        process.child.send_signal(signal.SIGTERM)
        draining = await until(lambda: probe("/readyz", 503), "503 after SIGTERM", timeout=5)
        assert draining[1] == {"status": "unavailable", "detail": "shutting down"}
        assert (await asyncio.to_thread(probe, "/healthz"))[0] == 200  # alive: draining
        assert process.child.poll() is None  # the push under way holds it
        release.set()
        code = await asyncio.to_thread(process.child.wait, 30)
        assert code == 0, process.tail()
