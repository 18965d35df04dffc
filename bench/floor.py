"""The floor: the simplest Temporal drip there is. One workflow per friend sleeps until T and
runs one regular activity that pushes one message through LINE; a worker with Temporal's
defaults. `python -m bench.floor --address … --task-queue … --line-url …` runs its worker."""

import argparse
import asyncio
import os
import sys
from datetime import datetime, timedelta

from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():
    from core.config import load_settings
    from line.client import LinePusher


class FloorInput(BaseModel):
    user_id: str
    wake_at: datetime


class FloorPush(BaseModel):
    user_id: str
    retry_key: str


@workflow.defn
class FloorWorkflow:
    @workflow.run
    async def run(self, input: FloorInput) -> None:
        delay = input.wake_at - workflow.now()
        if delay > timedelta(0):
            await workflow.sleep(delay)
        await workflow.execute_activity(
            "floor_push",
            FloorPush(user_id=input.user_id, retry_key=str(workflow.uuid4())),
            start_to_close_timeout=timedelta(seconds=60),
        )


class FloorActivities:
    def __init__(self, line: LinePusher):
        self.line = line

    @activity.defn(name="floor_push")
    async def floor_push(self, push: FloorPush) -> None:
        await self.line.push(
            to=push.user_id, messages=[{"type": "text", "text": "hello"}], retry_key=push.retry_key
        )


async def main(address: str, task_queue: str, line_url: str) -> None:
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    settings = load_settings(LINE_API_BASE_URL=line_url, LINE_CHANNEL_ACCESS_TOKEN="bench")
    line = LinePusher.from_settings(settings)
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[FloorWorkflow],
        activities=[FloorActivities(line).floor_push],
    )
    await worker.run()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--address", required=True)
    parser.add_argument("--task-queue", required=True)
    parser.add_argument("--line-url", required=True)
    args = parser.parse_args()
    try:
        asyncio.run(main(args.address, args.task_queue, args.line_url))
    except KeyboardInterrupt:
        pass
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # sdk-python#300: never abort while finalizing
