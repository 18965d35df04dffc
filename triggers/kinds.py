"""What an outbox row holds, by kind (store/outbox.py, triggers/dispatch.py).

Changes are evaluated against the store, in one transaction that deletes the row and writes
the commands it leads to: nothing is half done. Commands are one call to Temporal each,
idempotent (a workflow id; a signal carrying the row's seq as `change_id`)."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from scenarios.date_runs import DateTriggerInput
from scenarios.runs import TestRun

Reason = Literal[
    "attributes", "tags", "route", "import", "audience", "click", "step", "event", "data"
]
Cause = Literal["follow", "event", "keyword", "audience", "switch", "date"]
# the dispatcher's `expedite`: act on these outbox rows now (a worker's activity that wrote them)
Expedite = Callable[[list[int]], Awaitable[None]]


class Kind(BaseModel):
    kind: ClassVar[str]
    command: ClassVar[bool] = False  # a call to Temporal (else: a change to evaluate)


# --- changes ------------------------------------------------------------------------------


class WebhookReceived(Kind):
    """A LINE webhook event recorded (store/webhooks.py): a follow, an unfollow, a postback…"""

    kind: ClassVar[str] = "webhook"
    event_id: str


class WebhookBatch(Kind):
    """Events of a large webhook body beyond the ones recorded before it was answered
    (triggers/record.py): recorded now, each then a `webhook` change of its own."""

    kind: ClassVar[str] = "webhook_batch"
    rows: list[dict[str, Any]]


class FriendsChanged(Kind):
    """Data of these friends changed: attributes, tags, route, audience members, a click."""

    kind: ClassVar[str] = "friends"
    user_ids: list[str]
    reason: Reason = "data"
    operation_id: str | None = None  # one part of a bulk operation (a large upload)


class FriendsChangedPart(FriendsChanged):
    """One part (up to 1,000 friends) of a bulk change, an operation's: evaluated one part a
    transaction, beside the bulk operations' steps, never holding up single changes."""

    kind: ClassVar[str] = "friends_part"


class EventRecorded(Kind):
    """An event of a friend is on record (`POST /events`, a postback, a message, an answer)."""

    kind: ClassVar[str] = "event"
    user_id: str
    name: str
    properties: dict[str, Any] = Field(default_factory=dict)
    seq: int | None = None  # its Event.seq: handled twice, it enrols once


class Delivered(Kind):
    """A push went out: a `delivered` audience may now hold the friend."""

    kind: ClassVar[str] = "delivered"
    user_id: str


class OperationStep(Kind):
    """The next step of a bulk operation (triggers/bulk.py)."""

    kind: ClassVar[str] = "operation"
    operation_id: str


# --- commands -----------------------------------------------------------------------------


class StartEnrollment(Kind):
    """Start the workflow of an enrollment row (as the scenario and the friend are then)."""

    kind: ClassVar[str] = "start"
    command: ClassVar[bool] = True
    enrollment_id: str
    cause: Cause
    origin: dict[str, str] = Field(default_factory=dict)  # the log ids of the change it is for


class SignalEnrollment(Kind):
    """Signal one enrollment (`args`: the signal's model, dumped). `gone`: what the store
    records when the workflow has finished or never started (`blocked`: a block settles the
    row itself)."""

    kind: ClassVar[str] = "signal"
    command: ClassVar[bool] = True
    workflow_id: str
    signal: str
    args: dict[str, Any] = Field(default_factory=dict)
    gone: Literal["blocked"] | None = None
    at: datetime | None = None


class ScheduleDate(Kind):
    """Start a friend's date schedule, or tell the running one the date as it is now."""

    kind: ClassVar[str] = "schedule_date"
    command: ClassVar[bool] = True
    input: DateTriggerInput


class StartTest(Kind):
    """Start a test send's run for one tester (its row written with the test send)."""

    kind: ClassVar[str] = "start_test"
    command: ClassVar[bool] = True
    enrollment_id: str  # a test run's id (test:…)
    test: TestRun
    operation_id: str  # the test send's: one more tester reached once it has begun


KINDS: dict[str, type[Kind]] = {
    model.kind: model
    for model in (
        WebhookReceived,
        WebhookBatch,
        FriendsChanged,
        FriendsChangedPart,
        EventRecorded,
        Delivered,
        OperationStep,
        StartEnrollment,
        SignalEnrollment,
        ScheduleDate,
        StartTest,
    )
}

# how the dispatcher takes them: bulk ones (a step, a part of a bulk change, the rest of a large
# webhook body) one a transaction, in a loop of their own beside single changes and commands
BULK = ["operation", "friends_part", "webhook_batch"]
CHANGES = [kind for kind, model in KINDS.items() if not model.command and kind not in BULK]
COMMANDS = [kind for kind, model in KINDS.items() if model.command]


def parse(kind: str, payload: dict[str, Any]) -> Kind:
    return KINDS[kind].model_validate(payload)
