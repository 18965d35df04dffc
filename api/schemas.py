"""Response models shared by several routes."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from domain.statuses import DeliveryStatus, DeliveryVia
from store.pipeline_tables import Operation


class ScenarioRef(BaseModel):
    id: str
    version: int
    status: str


WARNINGS = (
    "follow scenarios that would take the same new friends (app/overlaps.py): "
    "`{type: follow_overlap, msg, scenarios: [{id, name, status, first_day_messages}], "
    "any_route, routes, added_from?, added_until?, first_day_messages, if_activated}`"
)


class ScenarioWarned(ScenarioRef):
    warnings: list[dict[str, Any]] = Field(default_factory=list, description=WARNINGS)


class OperationPublic(BaseModel):
    id: str
    scenario_id: str | None = None
    action: str = Field(
        description="pause, resume, end, migrate (a scenario's running enrollments), dates, "
        "end_dates (its friends' date schedules), audience, import (friends' data), test (a "
        "test send's runs begun)"
    )
    status: str = Field(description="queued, running, done, or superseded (a newer one won)")
    total: int = Field(description="enrollments or friends it is to reach (as counted at first)")
    done: int
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    last_error: str | None = Field(None, description="why its last step failed (tried again)")
    url: str


def operation_ref(operation: Operation) -> dict[str, Any]:
    return {**operation.model_dump(), "url": f"/operations/{operation.id}"}


class EnrollmentPublic(BaseModel):
    id: str
    scenario_id: str
    user_id: str
    version: int
    status: str
    current_step: str | None
    next_wake_at: datetime | None
    hold_reason: str | None
    error: str | None
    started_at: datetime
    ended_at: datetime | None


class DecisionPublic(BaseModel):
    step: str
    label: str | None  # None: a branch step's `otherwise` (or no way out of it)
    index: int | None
    inputs: dict[str, Any]  # the facts read: attribute:…, tags, audience:…, event:…, clicked:…
    at: datetime


class DeliveryPublic(BaseModel):
    step: str
    status: DeliveryStatus
    planned_at: datetime | None
    sent_at: datetime | None
    request_id: str | None  # LINE's x-line-request-id of the accepted push
    error: str | None  # LINE's message when it refused the push
    # push (counted in LINE's plan), or reply: the free answer to the event that started it
    via: DeliveryVia = DeliveryVia.PUSH
    silent: bool = False  # sent with notificationDisabled


class Explanation(BaseModel):
    """Why an enrollment is where it is."""

    source: Literal["workflow", "store"]  # workflow: its live `status` query; store: the rows
    source_note: str | None = None  # a running enrollment explained from the store: why
    status: str
    step: str | None  # the current step, or the last one of a finished enrollment
    last_step_entered_at: datetime | None
    last_decision: DecisionPublic | None  # the latest branch, wait_for or split decision
    next_wake_at: datetime | None
    hold_reason: str | None
    error: str | None
    deliveries: list[DeliveryPublic]


class EnrollmentExplained(EnrollmentPublic):
    explain: Explanation


TimelineKind = Literal[
    "follow",  # added the account (`detail.is_unblocked`: back after a block)
    "block",  # blocked the account (LINE's unfollow)
    # an enrollment began (`detail`: version, epoch, entry); every entry of a test send's run
    # (`enrollment_id` test:…) carries `detail.test: true`
    "enrolled",
    "step_entered",
    "held",  # a message step waited (`reason`: window, quiet, frequency, pause, quota, blocked)
    "decision",  # a branch, split or wait_for went one way (`label`; `detail.inputs`: the facts)
    "sent",  # LINE accepted it (`detail.via`: push or reply; `detail.silent`)
    "failed",  # LINE refused it (`reason`: LINE's message)
    "unconfirmed",  # pushed, the enrollment stopped before LINE's answer was seen
    "reserved",  # pushed, LINE's answer not recorded yet
    # fell due while the friend had blocked the account, past the grace; or a message not
    # pushed for good (its coupon closed or expired: `reason`)
    "skipped",
    "click",  # a tracked link of `step_id` opened (`detail.url`)
    "event",  # POST /events (`detail`: name, properties)
    "enrollment_ended",  # `status`: completed, blocked, exited, ended, capped, failed
]


class TimelineEntry(BaseModel):
    at: datetime
    kind: TimelineKind
    enrollment_id: str | None = None
    scenario_id: str | None = None
    step_id: str | None = None
    status: str | None = None  # a delivery's status; an ended enrollment's final status
    label: str | None = None  # a decision's label (None: `otherwise`)
    reason: str | None = None  # why: hold reason, LINE's error, the enrollment's error
    until: datetime | None = None  # held: when the hold ended (or, live, will end)
    detail: dict[str, Any] = {}


class TimelineNow(BaseModel):
    """A running enrollment as it is now."""

    enrollment_id: str
    scenario_id: str
    version: int
    source: Literal["workflow", "store"]  # workflow: its live `status` query; store: the row
    source_note: str | None = None  # read from the store: why the workflow did not answer
    status: str
    step: str | None
    next_wake_at: datetime | None
    hold_reason: str | None
    error: str | None
    skipped: list[str] = []  # steps it skipped while the friend had blocked the account
    test: bool = False  # a test send's run (POST /scenarios/{id}/test-sends), not an enrollment


class FriendTimeline(BaseModel):
    user_id: str
    following: bool
    entries: list[TimelineEntry]  # oldest first
    truncated: bool  # older entries were left out (`limit`)
    now: list[TimelineNow]  # each running enrollment
