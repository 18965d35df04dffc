"""How the enrollment workflow calls each activity: by method reference (workflows/contract.py),
with its timeouts and retry policy beside the call. Calls on the store run as local activities,
inside the workflow task that needs them: no extra Temporal round-trip."""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from scenarios import date_runs, runs
    from workflows.contract import Dates, Journeys, Progress, RichMenus, Sending, Surveys

A = TypeVar("A")
R = TypeVar("R")
LOCAL = timedelta(seconds=30)  # a local activity on the store
SUMMARY = 200  # characters of a summary the Temporal UI keeps

# LINE honours a retry key for 24 h: every retry of one push must end well inside that.
SEND_RETRY_WINDOW = timedelta(hours=6)
SEND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    non_retryable_error_types=["MonthlyLimit"],
)
# the send activity heartbeats while a push runs long: a worker that died mid-push is noticed
# (and the push retried with the same retry key) this soon, not after the start-to-close timeout
SEND_HEARTBEAT = timedelta(seconds=10)
SEND_TIMEOUT = timedelta(seconds=60)
QUOTA_RECHECK = timedelta(hours=1)  # monthly quota reached: slow schedule, never fast retries
# A push is first tried as a local activity, inside the workflow task that woke the
# enrollment: no activity task to dispatch, no second workflow task (bench/: the round-trips
# are what a send costs). A failure of any kind hands it to the regular activity above, with
# its long retry policy; the Delivery row's retry key keeps it one push at LINE.
LOCAL_SEND = timedelta(seconds=45)
LOCAL_SEND_RETRY = RetryPolicy(maximum_attempts=1)
FIRE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=5)
)
FIRE_WINDOW = timedelta(hours=6)  # a date's enrolment may not come days late: then it is dropped


async def send_at_once(request: runs.SendRequest, summary: str) -> runs.SendOutcome:
    """The push as a local activity: tried once, inside this workflow task."""
    return await workflow.execute_local_activity_method(
        Sending.send_message_step,
        request,
        start_to_close_timeout=LOCAL_SEND,
        retry_policy=LOCAL_SEND_RETRY,
        summary=summary,
    )


async def branch_and_send(request: runs.BranchRequest, summary: str) -> runs.BranchChoice:
    """The branch decided and its way's first message pushed, tried once in this workflow
    task (a failure of the push comes back in the choice; of the whole, as an error)."""
    return await workflow.execute_local_activity_method(
        Sending.branch_and_send,
        request,
        start_to_close_timeout=LOCAL_SEND,
        retry_policy=LOCAL_SEND_RETRY,
        summary=summary[:SUMMARY],
    )


async def send(request: runs.SendRequest, summary: str) -> runs.SendOutcome:
    """The push as a regular activity, retried (same retry key) for up to SEND_RETRY_WINDOW."""
    return await workflow.execute_activity_method(
        Sending.send_message_step,
        request,
        start_to_close_timeout=SEND_TIMEOUT,
        heartbeat_timeout=SEND_HEARTBEAT,
        schedule_to_close_timeout=SEND_RETRY_WINDOW,
        retry_policy=SEND_RETRY,
        summary=summary,
    )


async def change_rich_menu(request: runs.RichMenuRequest, summary: str) -> runs.RichMenuResult:
    """At LINE like a push: retried on 5xx/429 within the same window."""
    return await workflow.execute_activity_method(
        RichMenus.change_rich_menu,
        request,
        start_to_close_timeout=SEND_TIMEOUT,
        schedule_to_close_timeout=SEND_RETRY_WINDOW,
        retry_policy=SEND_RETRY,
        summary=summary,
    )


async def on_store(method: Callable[[Any, A], Awaitable[R]], argument: A, summary: str) -> R:
    """A local activity on the store, `summary` cut to what the Temporal UI keeps."""
    return await workflow.execute_local_activity_method(
        method, argument, start_to_close_timeout=LOCAL, summary=summary[:SUMMARY]
    )


async def record_progress(
    update: runs.ProgressUpdate, summary: str
) -> runs.EnrollmentStatus | None:
    return await on_store(Progress.record_progress, update, summary)


async def evaluate_branch(request: runs.BranchRequest, summary: str) -> runs.BranchChoice:
    return await on_store(Progress.evaluate_branch, request, summary)


async def record_decision(record: runs.DecisionRecord, summary: str) -> None:
    await on_store(Progress.record_decision, record, summary)


async def check_condition(request: runs.ConditionRequest, summary: str) -> runs.ConditionResult:
    return await on_store(Progress.check_condition, request, summary)


async def update_friend(update: runs.FriendUpdate, summary: str) -> None:
    await on_store(Journeys.update_friend, update, summary)


async def switch_scenario(request: runs.SwitchRequest, summary: str) -> runs.SwitchResult:
    return await on_store(Journeys.switch_scenario, request, summary)


async def close_survey(request: runs.SurveyClose, summary: str) -> runs.SurveyResult:
    return await on_store(Surveys.close_survey, request, summary)


async def read_friend_date(
    request: date_runs.FriendDateRequest, summary: str
) -> date_runs.DateChanged:
    return await on_store(Dates.read_friend_date, request, summary)


async def fire_date_trigger(fire: date_runs.DateFire, summary: str) -> date_runs.DateFireResult:
    return await workflow.execute_activity_method(
        Dates.fire_date_trigger,
        fire,
        start_to_close_timeout=SEND_TIMEOUT,
        schedule_to_close_timeout=FIRE_WINDOW,
        retry_policy=FIRE_RETRY,
        summary=summary,
    )
