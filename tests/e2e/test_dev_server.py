"""The README's run command end to end, on the real Temporal dev server: `stepline dev` starts
Temporal (SQLite, WAL), the emulator, the worker and the API as separate processes; a friend
follows through a signed webhook; the messages arrive in order, on time, and the enrollment is
found in Temporal's visibility by its search attributes."""

import asyncio
import signal

import httpx
import pytest
from temporalio.client import Client

from cli.dev import DEV_ADMIN_TOKEN
from tests.support.devrun import dev_run
from tests.support.stack import user

SCENARIO = {
    "name": "e2e",
    "trigger": {"type": "follow"},
    "steps": [
        {"id": "hello", "type": "message", "messages": [{"type": "text", "text": "Hello"}]},
        {"id": "pause", "type": "wait", "duration": "PT2S"},
        {"id": "later", "type": "message", "messages": [{"type": "text", "text": "Later"}]},
        {"id": "long", "type": "wait", "duration": "P7D"},
        {"id": "never", "type": "message", "messages": [{"type": "text", "text": "Never"}]},
    ],
}


@pytest.fixture
def dev_stack(tmp_path):
    with dev_run(tmp_path, examples=False) as run:
        yield run.process, run.ports, run.api_url


async def test_run_command_end_to_end(dev_stack, tmp_path):
    runner, ports, api_url = dev_stack
    friend = user(77)
    headers = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
    async with (
        httpx.AsyncClient(base_url=api_url, headers=headers, timeout=30) as api,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports['emulator']}", timeout=30) as emu,
    ):
        health = (await api.get("/readyz")).json()
        assert (health["status"], health["database"], health["temporal"]) == ("ok", "ok", "ok")
        scenario_id = (await api.post("/scenarios", json=SCENARIO)).json()["id"]
        assert (await api.post(f"/scenarios/{scenario_id}/activate")).status_code == 200
        assert (await emu.post(f"/emulator/users/{friend}/follow", json={})).json()[
            "webhook_status"
        ] == 200

        pushes: list[dict] = []
        for _ in range(100):
            pushes = (await emu.get("/emulator/messages", params={"user_id": friend})).json()
            if len(pushes) >= 2:
                break
            await asyncio.sleep(0.1)
        assert [p["messages"][0]["text"] for p in pushes] == ["Hello", "Later"]
        gap = _seconds(pushes[1]["received_at"]) - _seconds(pushes[0]["received_at"])
        assert 2.0 <= gap < 6.0

        for _ in range(100):  # the row follows the workflow's next step a moment later
            waiting = (
                await api.get(f"/scenarios/{scenario_id}/enrollments", params={"status": "waiting"})
            ).json()
            if waiting and waiting[0]["current_step"] == "long":
                break
            await asyncio.sleep(0.1)
        assert [(e["user_id"], e["current_step"]) for e in waiting] == [(friend, "long")]

        client = await Client.connect(f"127.0.0.1:{ports['temporal']}")
        query = f'StepScenarioId="{scenario_id}" AND StepStatus="waiting" AND StepCurrent="long"'
        found: list[str] = []
        for _ in range(50):  # visibility is eventually consistent
            found = [w.id async for w in client.list_workflows(query)]
            if found:
                break
            await asyncio.sleep(0.2)
        assert found == [f"enrollment:{scenario_id}:{friend}:1"]
        description = await client.get_workflow_handle(found[0]).describe()
        assert await description.static_summary() == f"e2e (v1) for {friend}"

        assert (await emu.post(f"/emulator/users/{friend}/unfollow")).json()[
            "webhook_status"
        ] == 200
        for _ in range(100):
            rows = (await api.get(f"/scenarios/{scenario_id}/enrollments")).json()
            if rows[0]["status"] == "blocked":
                break
            await asyncio.sleep(0.1)
        assert rows[0]["status"] == "blocked"

    runner.send_signal(signal.SIGINT)
    assert runner.wait(30) == 0
    assert not (tmp_path / "state" / "dev.json").exists()


def _seconds(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp()
