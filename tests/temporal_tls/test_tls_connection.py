"""stepline on a TLS-secured Temporal (issue 21): the worker, the API and the client connect
through a TLS front that asks for client certificates (mTLS) — settings given as values or
as `…_FILE` files — and a setting Temporal refuses stops the process at once with one line
naming it."""

import asyncio
import os
import sys
import time
from contextlib import AsyncExitStack

import pytest
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from api.app import create_app
from cli.devstate import ROOT
from core.config import Settings
from core.serve import free_port
from emulator.webhooks import follow_event, post_events
from tests.faults.processes import environment, line_emulator, worker_and_api
from tests.support.stack import CHANNEL_SECRET
from tests.temporal_tls.certs import CERTS, SERVER_NAME, STRANGER, tls_files
from triggers import connection
from triggers.connection import TemporalSettingError


def settings(address: str, **values) -> Settings:
    given = {
        "STEPLINE_TEMPORAL_ADDRESS": address,
        "STEPLINE_TEMPORAL_TLS_CA": CERTS.ca_pem,
        "STEPLINE_TEMPORAL_TLS_CERT": CERTS.client_cert_pem,
        "STEPLINE_TEMPORAL_TLS_KEY": CERTS.client_key_pem,
        "STEPLINE_TEMPORAL_TLS_SERVER_NAME": SERVER_NAME,
        "STEPLINE_TEMPORAL_CONNECT_TIMEOUT": 60,
        "LINE_CHANNEL_SECRET": CHANNEL_SECRET,
        "LINE_API_BASE_URL": "http://127.0.0.1:9",  # not LINE's own: no admin-token rule
    }
    given.update(values)
    return Settings(**{name: value for name, value in given.items() if value is not None})


async def refused(address: str, **values) -> str:
    """Connecting with these settings fails at once (not after the connect timeout): why."""
    started = time.monotonic()
    with pytest.raises(TemporalSettingError) as caught:
        await connection.connect(settings(address, **values))
    assert time.monotonic() - started < 15, "a refused setting is not waited on"
    message = str(caught.value)
    assert "\n" not in message
    return message


async def test_the_client_connects_with_mtls(secured):
    client = await connection.connect(settings(secured))
    info = await client.workflow_service.get_system_info(GetSystemInfoRequest())
    assert info.server_version is not None
    assert client.namespace == "default"


async def test_a_ca_that_did_not_sign_the_server_names_the_ca_setting(secured):
    message = await refused(secured, STEPLINE_TEMPORAL_TLS_CA=STRANGER.ca_pem)
    assert "STEPLINE_TEMPORAL_TLS_CA" in message and secured in message


async def test_no_ca_at_all_asks_for_the_ca_setting(secured):
    message = await refused(secured, STEPLINE_TEMPORAL_TLS_CA=None)
    assert "not signed by a CA this system trusts" in message
    assert "STEPLINE_TEMPORAL_TLS_CA" in message


async def test_a_missing_client_certificate_names_the_cert_and_key_settings(secured):
    message = await refused(
        secured, STEPLINE_TEMPORAL_TLS_CERT=None, STEPLINE_TEMPORAL_TLS_KEY=None
    )
    assert "asks for a client certificate" in message
    assert "STEPLINE_TEMPORAL_TLS_CERT" in message and "STEPLINE_TEMPORAL_TLS_KEY" in message


async def test_a_client_certificate_of_another_ca_is_named(secured):
    message = await refused(
        secured,
        STEPLINE_TEMPORAL_TLS_CERT=STRANGER.client_cert_pem,
        STEPLINE_TEMPORAL_TLS_KEY=STRANGER.client_key_pem,
    )
    assert "refused the client certificate in STEPLINE_TEMPORAL_TLS_CERT" in message


async def test_a_certificate_for_another_name_names_the_server_name_setting(secured):
    message = await refused(secured, STEPLINE_TEMPORAL_TLS_SERVER_NAME="other.test")
    assert "'other.test'" in message and "STEPLINE_TEMPORAL_TLS_SERVER_NAME" in message


async def test_plaintext_to_a_tls_frontend_says_to_turn_tls_on(secured):
    plain = settings(
        secured,
        STEPLINE_TEMPORAL_TLS_CA=None,
        STEPLINE_TEMPORAL_TLS_CERT=None,
        STEPLINE_TEMPORAL_TLS_KEY=None,
        STEPLINE_TEMPORAL_TLS_SERVER_NAME=None,
        STEPLINE_TEMPORAL_CONNECT_TIMEOUT=1,
    )
    with pytest.raises(RuntimeError) as caught:
        await connection.connect(plain)
    assert "STEPLINE_TEMPORAL_TLS=true" in str(caught.value)
    assert "STEPLINE_TEMPORAL_CONNECT_TIMEOUT" in str(caught.value)


async def test_the_api_refuses_to_start_on_a_refused_setting(secured, capsys):
    wrong = settings(secured, STEPLINE_TEMPORAL_TLS_CA=STRANGER.ca_pem)
    with pytest.raises(SystemExit) as exited:
        await asyncio.to_thread(create_app, wrong)
    assert exited.value.code == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("stepline: Temporal at ") and "STEPLINE_TEMPORAL_TLS_CA" in line


def clean_environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("STEPLINE_", "LINE_"))}


async def test_worker_and_api_processes_deliver_through_mtls(secured, tmp_path):
    """`python worker.py` and the API under uvicorn, their TLS settings from files: a follow
    webhook is enrolled, and the welcome pushed, through the secured Temporal."""
    async with AsyncExitStack() as exits:
        api_port = free_port()
        line, line_url = await line_emulator(exits, api_port)
        env = environment(
            database_url=f"sqlite:///{tmp_path}/stepline.db",
            temporal=secured,
            line_url=line_url,
            task_queue="tls",
            **tls_files(tmp_path, CERTS),
        )
        pair = await worker_and_api(exits, tmp_path, env, api_port, stop=3)  # no drain here
        await pair.activated(
            {
                "name": "tls welcome",
                "trigger": {"type": "follow"},
                "steps": [
                    {"id": "hi", "type": "message", "messages": [{"type": "text", "text": "hi"}]}
                ],
            }
        )
        user = "U" + "7" * 32
        assert (
            await post_events(
                line, [follow_event(user, int(time.time() * 1000), is_unblocked=False)]
            )
        ).status == 200
        deadline = time.monotonic() + 60
        while not [d for d in line.deliveries if d.to == user]:
            assert time.monotonic() < deadline, pair.worker.tail() + pair.api.tail()
            pair.worker.check_alive()
            await asyncio.sleep(0.2)
        (pushed,) = [d for d in line.deliveries if d.to == user]
        assert [m["text"] for m in pushed.messages] == ["hi"]


async def test_a_worker_with_a_wrong_ca_exits_with_one_line(secured, tmp_path):
    env = clean_environ() | environment(
        database_url=f"sqlite:///{tmp_path}/stepline.db",
        temporal=secured,
        line_url="http://127.0.0.1:9",
        task_queue="tls",
        **tls_files(tmp_path, STRANGER),
    )
    started = time.monotonic()
    done = await asyncio.create_subprocess_exec(
        sys.executable, "worker.py", env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(done.communicate(), 60)
    assert done.returncode == 2, (out, err)
    assert time.monotonic() - started < 30
    lines = err.decode().strip().splitlines()
    assert lines[-1].startswith("stepline worker: Temporal at "), lines
    assert "STEPLINE_TEMPORAL_TLS_CA" in lines[-1]
