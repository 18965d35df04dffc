"""Response models shared by several routes."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel


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
    status: str  # reserved (pushed, LINE's answer not recorded yet) | sent | failed
    planned_at: datetime | None
    sent_at: datetime | None
    request_id: str | None  # LINE's x-line-request-id of the accepted push
    error: str | None  # LINE's message when it refused the push


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
