"""STEPLINE_WEBHOOK_PROCESSOR=process: the API keeps the dispatcher in a process of its own
(app/processing.py, app/processor.py); it enrols and blocks what the API recorded, is started
again should it exit, and goes when the API goes."""

import asyncio
import os
import signal

import httpx
from pydantic import SecretStr

from app import processing
from core.config import Settings
from core.serve import free_port
from store.tables import Enrollment
from tests.api.helpers import count, enrollment_at, scenario, text
from tests.support.stack import running_stack, user


def _children(pid: int) -> list[int]:
    """This process's `python -m app.processor` children (a test server may be another)."""
    found = []
    for n in open(f"/proc/{pid}/task/{pid}/children").read().split():
        try:
            command = open(f"/proc/{n}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        if b"app.processor" in command:
            found.append(int(n))
    return found


def _alive(pid: int) -> bool:
    try:
        return open(f"/proc/{pid}/stat").read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


async def _until(check, timeout: float = 30.0):
    async with asyncio.timeout(timeout):
        while not (found := check()):
            await asyncio.sleep(0.1)
    return found


def test_the_child_gets_the_apis_settings_secrets_and_all_not_its_environment(monkeypatch):
    settings = Settings(
        database_url="sqlite:////tmp/x.db",
        line_channel_secret=SecretStr("s" * 32),
        admin_token=SecretStr("a" * 40),
        task_queue="given",
        _env_file=None,
    )
    monkeypatch.setenv("STEPLINE_TASK_QUEUE", "from-the-environment")
    monkeypatch.setenv("STEPLINE_ADMIN_TOKEN_FILE", "/nonexistent")  # "both set", if it were read
    back = processing.received(processing.handed(settings))
    assert back == settings
    assert back.task_queue == "given"
    assert back.admin_token.get_secret_value() == "a" * 40


async def test_the_child_enrols_is_restarted_and_ends_with_the_api(ts_env, sqlite_url):
    port = free_port()
    async with running_stack(
        ts_env,
        database_url=sqlite_url,
        webhook_processor="process",
        settings_update={"processor_metrics_port": port},
    ) as stack:
        assert stack.app.state.services.dispatcher is None  # not in the API's own process
        [child] = await _until(lambda: _children(os.getpid()))
        scenario_id = await stack.scenario(
            scenario(text("welcome", "Welcome"), {"id": "w", "type": "wait", "duration": "P7D"})
        )
        first = user(401)
        await stack.follow(first)
        await stack.until_texts(first, ["Welcome"])
        await enrollment_at(stack, scenario_id, first, "w")
        # its counters at its own port (STEPLINE_PROCESSOR_METRICS_PORT): it enrolled
        async with httpx.AsyncClient() as client:
            exposed = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
        assert (
            f'stepline_enrolments_total{{scenario_id="{scenario_id}",trigger="follow"}} 1.0'
            in exposed
        )

        # the child dies: the API starts another, which acts on what came meanwhile
        os.kill(child, signal.SIGKILL)
        await _until(lambda: not _alive(child))
        second = user(402)
        await stack.follow(second, settle=False)
        [again] = await _until(lambda: [c for c in _children(os.getpid()) if c != child])
        await stack.settle()
        await stack.until_texts(second, ["Welcome"])
        await stack.unfollow(first)
        assert (await stack.outcome(scenario_id, first)).status == "blocked"
        assert await count(stack, Enrollment) == 2
    # the API stopped: its child too (SIGTERM, its dispatcher drained)
    await _until(lambda: not _alive(again), timeout=20)
