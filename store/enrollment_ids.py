"""Enrollment ids: the workflow id of a friend's enrollment in a scenario, and its parts; and
the ids of test sends' runs, which are never counted as enrollments."""

from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import col

from domain.ids import TEST_PREFIX

ENROLLMENT_ID_PATTERN = r"^enrollment:[A-Za-z0-9_\-]{1,32}:U[0-9a-f]{32}:[0-9]{1,9}(:[0-9]{1,9})?$"


def enrollment_id(*, scenario_id: str, user_id: str, epoch: int, entry: int = 1) -> str:
    """The workflow id (docs/CONTRACT.md §4): one enrollment per scenario, friend and follow epoch; a
    friend taken again by a `reentry` scenario (or a `switch`) gets `:2`, `:3` … after it."""
    base = f"enrollment:{scenario_id}:{user_id}:{epoch}"
    return base if entry == 1 else f"{base}:{entry}"


def id_of_test_run(*, scenario_id: str, user_id: str, n: int) -> str:
    """A test send's run for one tester (`n`: the test send's number, unique)."""
    return f"{TEST_PREFIX}{scenario_id}:{user_id}:{n}"


def counted(column: Any) -> ColumnElement[bool]:
    """Only rows of real enrollments (an `enrollment_id` or `Enrollment.id` column): a test
    send's rows are never counted (stats, caps, pacing, audiences, reentry)."""
    return col(column).not_like(f"{TEST_PREFIX}%")


def epoch_of(workflow_id: str) -> int:
    return int(workflow_id.split(":")[3])
