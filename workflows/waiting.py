"""The one way an enrollment waits: for a condition, or a deadline, whichever comes first."""

from collections.abc import Callable
from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.journey import Journey
    from workflows.visibility import index


async def until(
    journey: Journey,
    condition: Callable[[], bool],
    deadline: datetime | None = None,
    summary: str | None = None,
) -> bool:
    """Wait until `condition` holds (True) or `deadline` passes (False; no deadline: only the
    condition ends it). `summary` names the timer in the Temporal UI. The search attributes are
    brought up to date first: the enrollment may rest here for weeks."""
    index(journey)
    journey.reply = False  # a message after a wait is not an answer to the event any more
    if deadline is not None:
        deadline = journey.due(deadline)  # a test send's walk: a few seconds at most
    if deadline is None:
        await workflow.wait_condition(condition)
        return True
    try:
        await workflow.wait_condition(
            condition, timeout=deadline - workflow.now(), timeout_summary=summary
        )
    except TimeoutError:
        return False
    return True
