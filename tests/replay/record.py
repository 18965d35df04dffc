"""Record the histories replayed by tests/replay/test_replay.py:

    python -m tests.replay.record [NAME …]   # every journey, or only the ones named

Run it when a deliberate, versioned workflow change makes old histories obsolete; otherwise
the kept histories are the point: code that cannot replay them would break running
enrollments."""

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from store.enrollment_ids import enrollment_id
from tests.replay.journeys import JOURNEYS
from tests.support.binaries import binary
from tests.support.stack import running_stack
from workflows.admin import register_search_attributes

HISTORIES = Path(__file__).parent / "histories"


async def record(names: list[str]) -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    try:
        await register_search_attributes(env.client, "default")
        HISTORIES.mkdir(exist_ok=True)
        for name in names:
            journey = JOURNEYS[name]
            with tempfile.TemporaryDirectory() as folder:
                async with running_stack(env, database_url=f"sqlite:///{folder}/s.db") as stack:
                    scenario_id, user_id = await journey(stack)
                    workflow_id = enrollment_id(scenario_id=scenario_id, user_id=user_id, epoch=1)
                    history = await env.client.get_workflow_handle(workflow_id).fetch_history()
            (HISTORIES / f"{name}.json").write_text(
                json.dumps(history.to_json_dict(), indent=1) + "\n"
            )
            sys.stdout.write(f"{name}: {len(history.events)} events\n")
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(record(sys.argv[1:] or list(JOURNEYS)))
    sys.stdout.flush()
    os._exit(0)  # sdk-python#300: no abort while finalizing
