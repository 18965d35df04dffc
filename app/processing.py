"""STEPLINE_WEBHOOK_PROCESSOR=process: the change dispatcher in a process of its own beside
each API process, so that turning webhooks into enrollments (profiles, admission, Temporal
starts) neither waits for the API's event loop nor holds it: the API only verifies, records
and answers, on its own core.

The API starts it (`beside`), hands it the API's own settings on its standard input and keeps
the pipe open: the child stops when told (SIGTERM) or when the pipe closes — the API gone,
however it went — and the API starts it again should it ever exit on its own."""

import asyncio
import contextlib
import json
import logging
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pydantic import SecretStr

from core.config import Settings

log = logging.getLogger("stepline.processing")
RESTART_AFTER = (1.0, 2.0, 5.0, 10.0, 30.0)  # seconds before each new try, the last repeated
STEADY = 60.0  # a child that ran this long before exiting starts again at once
STOP_GRACE = 15.0  # seconds the child has to finish its round (the dispatcher's own: 10)
READY_WITHIN = 30.0  # seconds the API waits for its child to say it runs before serving anyway
READY = b"ready\n"  # the child's one line on its standard output (app/processor.py)


def handed(settings: Settings) -> bytes:
    """The settings as the child reads them: every field by name, secrets in the clear (a
    pipe between the two processes, never the environment or a file)."""
    values = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        values[name] = value.get_secret_value() if isinstance(value, SecretStr) else value
    return json.dumps(values, default=str).encode() + b"\n"


class _Handed(Settings):
    """Settings from the values given alone: no environment, `.env` or `…_FILE` read."""

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, **_others):
        return (init_settings,)


def received(line: bytes) -> Settings:
    """`handed`'s line back as Settings, validated, without reading the environment again."""
    validated = _Handed(**json.loads(line))
    return Settings.model_construct(**dict(validated))


@asynccontextmanager
async def beside(settings: Settings) -> AsyncIterator[None]:
    """The processing child, kept running until the block ends; then stopped (SIGTERM, and
    killed if it has not stopped within STOP_GRACE). The block begins once the child says it
    runs (within READY_WITHIN), so that the API takes no webhook nobody acts on yet."""
    stopping, ready = asyncio.Event(), asyncio.Event()
    keeping = asyncio.create_task(_keep(settings, stopping, ready), name="processing child")
    try:
        try:
            async with asyncio.timeout(READY_WITHIN):
                await ready.wait()
        except TimeoutError:
            log.warning("the processing process did not start within %g s", READY_WITHIN)
        yield
    finally:
        stopping.set()
        await keeping


async def _keep(settings: Settings, stopping: asyncio.Event, ready: asyncio.Event) -> None:
    failures = 0
    loop = asyncio.get_running_loop()
    while not stopping.is_set():
        began = loop.time()
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "app.processor",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(handed(settings))
        exited = asyncio.create_task(_running(child, ready))
        told = asyncio.create_task(stopping.wait())
        await asyncio.wait({exited, told}, return_when=asyncio.FIRST_COMPLETED)
        if not exited.done():
            told.cancel()
            await _stop(child, exited)
            return
        told.cancel()
        failures = 0 if loop.time() - began > STEADY else failures + 1
        pause = RESTART_AFTER[min(failures, len(RESTART_AFTER)) - 1] if failures else 0.0
        log.warning(
            "the processing process exited with %s; starting it again in %g s",
            child.returncode,
            pause,
        )
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(pause):
                await stopping.wait()


async def _running(child: asyncio.subprocess.Process, ready: asyncio.Event) -> int:
    """Until the child exits; `ready` set once it says it runs (or has exited)."""
    assert child.stdout is not None
    if await child.stdout.readline() == READY:
        log.info("the processing process runs (pid %d)", child.pid)
    ready.set()
    return await child.wait()


async def _stop(child: asyncio.subprocess.Process, exited: asyncio.Task) -> None:
    with contextlib.suppress(ProcessLookupError):
        child.send_signal(signal.SIGTERM)
    try:
        async with asyncio.timeout(STOP_GRACE):
            await exited
    except TimeoutError:
        log.warning("the processing process did not stop within %g s: killed", STOP_GRACE)
        with contextlib.suppress(ProcessLookupError):
            child.kill()
        await exited
