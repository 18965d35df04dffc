"""Graceful stop (docs/DEPLOY.md): a worker told to stop (SIGTERM, as an orchestrator does on
a deploy or a scale-down) while a push is in flight stops polling, lets that push finish
within STEPLINE_WORKER_GRACE_SECONDS, and exits 0; started again, the enrollment goes on from
where it was — every message exactly once, none pushed twice."""

import asyncio
import signal
import time
from contextlib import AsyncExitStack

from bench.processes import temporal_server, wait_for_port
from core.serve import free_port
from emulator.state import Fault
from emulator.webhooks import follow_event, post_events
from tests.faults.processes import environment, line_emulator, worker_and_api
from tests.support.stack import user

HELD = 4.0  # seconds LINE takes to answer the push in flight at the SIGTERM
GRACE = 15
SCENARIO = {
    "name": "drain",
    "trigger": {"type": "follow"},
    "steps": [
        {"id": "one", "type": "message", "messages": [{"type": "text", "text": "one"}]},
        {"id": "pause", "type": "wait", "duration": "PT2S"},
        {"id": "two", "type": "message", "messages": [{"type": "text", "text": "two"}]},
    ],
}


async def until(check, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_sigterm_mid_push_drains_then_resumes_exactly_once(tmp_path):
    async with AsyncExitStack() as exits:
        temporal, address = temporal_server(tmp_path)
        temporal.start()
        exits.callback(temporal.stop)
        await asyncio.to_thread(wait_for_port, address, temporal)
        api_port = free_port()
        line, line_url = await line_emulator(exits, api_port)
        env = environment(
            database_url=f"sqlite:///{tmp_path}/stepline.db",
            temporal=address,
            line_url=line_url,
            task_queue="drain",
            STEPLINE_WORKER_GRACE_SECONDS=str(GRACE),
        )
        pair = await worker_and_api(exits, tmp_path, env, api_port)
        worker, admin = pair.worker, pair.admin
        scenario = await pair.activated(SCENARIO)

        friend = user(5)
        held = Fault(delay_seconds=HELD, user_id=friend)
        line.faults.append(held)
        now = int(time.time() * 1000)
        assert (
            await post_events(line, [follow_event(friend, now, is_unblocked=False)])
        ).status == 200
        await until(lambda: held not in line.faults, "the first push to reach LINE")

        assert worker.child is not None
        stopping = time.monotonic()
        worker.child.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(worker.child.wait, GRACE + 15)
        stopped_after = time.monotonic() - stopping
        assert code == 0, worker.tail()
        # the push in flight was answered (LINE held it HELD seconds) before the worker left
        texts = [m["text"] for d in line.deliveries if d.to == friend for m in d.messages]
        assert texts == ["one"], worker.tail()
        assert stopped_after >= HELD - 0.5, "the worker did not wait for the push in flight"
        assert stopped_after < GRACE + 5
        assert line.conflicts["push"] == 0

        worker.start()  # the enrollment goes on: "two" after the wait, once
        await until(lambda: len([d for d in line.deliveries if d.to == friend]) >= 2, "two")
        await asyncio.sleep(3.0)  # time for anything pushed twice to show
        texts = [m["text"] for d in line.deliveries if d.to == friend for m in d.messages]
        assert texts == ["one", "two"]
        assert line.conflicts["push"] == 0  # "one" was not even tried again
        for _ in range(50):  # the store follows the workflow's last step a moment later
            listed = (await admin.get(f"/scenarios/{scenario}/enrollments")).json()
            if [e["status"] for e in listed] == ["completed"]:
                break
            await asyncio.sleep(0.1)
        assert [(e["user_id"], e["status"]) for e in listed] == [(friend, "completed")]
