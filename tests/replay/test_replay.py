"""Replay safety: kept histories of real enrollments (waiting, branched, blocked, completed,
wait_for both ways, split, exited, retried) must replay on today's workflow code. A change that would
break running enrollments fails here. Record them again with `python -m tests.replay.record`
only for a deliberate, versioned change."""

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.enrollment import EnrollmentWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_the_kept_histories_cover_each_kind_of_enrollment() -> None:
    assert {path.stem for path in HISTORIES} >= {
        "completed-with-a-branch",
        "waiting",
        "blocked-mid-wait",
        "wait-for-timeout-and-split",
        "exited-by-a-tag",
        "wait-for-an-event",
        "retried-after-a-4xx",
        "fast-completed-with-a-branch",
        "fast-blocked-mid-wait",
        "fast-wait-for-timeout-and-split",
        "fast-retried-after-a-4xx",
        "survey-menu-coupon-and-date-wait",
        "protocol-1-completed-with-a-branch",
        "protocol-1-wait-for-timeout-and-split",
        "protocol-1-blocked-mid-wait",
        "first-wait-recorded-then-a-branch",
    }


@pytest.mark.parametrize("path", HISTORIES, ids=lambda path: path.stem)
async def test_history_replays_on_todays_code(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, json.loads(path.read_text()))
    replayer = Replayer(workflows=[EnrollmentWorkflow], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure
