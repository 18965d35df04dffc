"""`stepline dev` alike: `--temporal host:port` runs the worker and the API against an existing
Temporal with the TLS settings of the environment; without it, the embedded (plaintext) dev
server is used and TLS settings meant for a cluster are kept away from it."""

import asyncio
import os
import sys
from contextlib import ExitStack

import httpx

from cli.dev import DevRunner
from core.config import DEV_ADMIN_TOKEN
from tests.support.devrun import dev_run, dev_runner
from tests.support.stack import user
from tests.temporal_tls.certs import CERTS, SERVER_NAME, STRANGER, tls_files

WELCOME = {
    "name": "welcome over tls",
    "trigger": {"type": "follow"},
    "steps": [{"id": "hi", "type": "message", "messages": [{"type": "text", "text": "Hi"}]}],
}


def runner(tmp_path, temporal: str | None) -> DevRunner:
    return dev_runner(tmp_path, temporal=temporal)


def test_the_embedded_server_gets_no_tls_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("STEPLINE_TEMPORAL_TLS", "true")
    monkeypatch.setenv("STEPLINE_TEMPORAL_API_KEY", "key")
    monkeypatch.setenv("STEPLINE_TEMPORAL_TLS_CA_FILE", str(tmp_path / "ca.pem"))
    (tmp_path / "ca.pem").write_text(CERTS.ca_pem)
    env, _ = runner(tmp_path, None).environment()
    assert env["STEPLINE_TEMPORAL_ADDRESS"] == "127.0.0.1:17233"
    assert not [name for name in env if name.startswith("STEPLINE_TEMPORAL_TLS")]
    assert "STEPLINE_TEMPORAL_API_KEY" not in env


def test_an_existing_temporal_keeps_them(monkeypatch, tmp_path):
    monkeypatch.setenv("STEPLINE_TEMPORAL_TLS", "true")
    monkeypatch.setenv("STEPLINE_TEMPORAL_API_KEY", "key")
    env, _ = runner(tmp_path, "temporal.example:7233").environment()
    assert env["STEPLINE_TEMPORAL_ADDRESS"] == "temporal.example:7233"
    assert (env["STEPLINE_TEMPORAL_TLS"], env["STEPLINE_TEMPORAL_API_KEY"]) == ("true", "key")


async def test_stepline_dev_runs_on_a_secured_temporal(secured, tmp_path):
    """The whole `stepline dev` (worker, API, emulator) on the mTLS front: a friend who
    follows gets the welcome."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    env = tls_files(secrets, CERTS) | {"STEPLINE_TEMPORAL_TLS_SERVER_NAME": SERVER_NAME}
    with ExitStack() as stack:
        run = await asyncio.to_thread(
            stack.enter_context,
            dev_run(tmp_path, examples=False, options=("--temporal", secured), env=env),
        )
        assert "Temporal UI   (set STEPLINE_TEMPORAL_UI_URL)" in run.output()
        friend = user(71)
        headers = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
        async with (
            httpx.AsyncClient(base_url=run.api_url, headers=headers, timeout=30) as api,
            httpx.AsyncClient(base_url=run.emulator_url, timeout=30) as emulator,
        ):
            scenario_id = (await api.post("/scenarios", json=WELCOME)).json()["id"]
            assert (await api.post(f"/scenarios/{scenario_id}/activate")).status_code == 200
            followed = await emulator.post(f"/emulator/users/{friend}/follow", json={})
            assert followed.json()["webhook_status"] == 200
            pushes: list[dict] = []
            for _ in range(150):
                pushes = (
                    await emulator.get("/emulator/messages", params={"user_id": friend})
                ).json()
                if pushes:
                    break
                await asyncio.sleep(0.1)
            assert [p["messages"][0]["text"] for p in pushes] == ["Hi"], run.output()
        await asyncio.to_thread(stack.close)


async def test_a_refused_setting_stops_stepline_dev_with_one_line(secured, tmp_path):
    """Before anything is started: a CA that did not sign the server's certificate."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    env = tls_files(secrets, STRANGER) | {"STEPLINE_TEMPORAL_TLS_SERVER_NAME": SERVER_NAME}
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("STEPLINE_", "LINE_"))}
    done = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli.main", "dev", "--temporal", secured,
        "--state-dir", str(tmp_path / "state"), "--no-examples",
        env=clean | env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(done.communicate(), 60)
    assert done.returncode == 2, out + err
    assert err.decode().strip().splitlines()[-1].startswith("stepline: Temporal at ")
    assert not (tmp_path / "state" / "dev.json").exists()
    assert "STEPLINE_TEMPORAL_TLS_CA" in err.decode()
