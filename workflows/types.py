"""What crosses the Temporal boundary: one pydantic model per workflow, signal, query and
activity, so fields can be added later without breaking running enrollments."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from scenarios.conditions import Condition
from scenarios.definition import ScenarioDefinition

LIVE = ("waiting", "sending", "held")
FINAL = ("completed", "blocked", "exited", "ended", "capped", "failed")
Status = Literal[
    "waiting", "sending", "held", "completed", "blocked", "exited", "ended", "capped", "failed"
]
HoldReason = Literal["window", "pause", "quota"]


class EnrollmentInput(BaseModel):
    enrollment_id: str
    scenario_id: str
    version: int
    user_id: str
    epoch: int
    definition: ScenarioDefinition
    paused: bool = False
    control_seq: int = 0


class BlockSignal(BaseModel):
    reason: str = "unfollow"


class ControlSignal(BaseModel):
    action: Literal["pause", "resume", "end"]
    seq: int


class EnrollmentStatus(BaseModel):
    """The `status` query, and what the enrollment reports to the store."""

    enrollment_id: str
    scenario_id: str
    version: int
    user_id: str
    status: Status
    step: str | None = None
    next_wake_at: datetime | None = None
    hold_reason: HoldReason | None = None
    error: str | None = None
    sent: list[str] = Field(default_factory=list)


class ProgressUpdate(BaseModel):
    status: EnrollmentStatus
    entered: str | None = None  # a step id the enrollment has just reached
    at: datetime


class SendRequest(BaseModel):
    enrollment_id: str
    scenario_id: str
    version: int
    user_id: str
    epoch: int
    step_id: str
    planned_at: datetime


class SendOutcome(BaseModel):
    result: Literal["sent", "blocked", "capped", "paused", "ended", "failed"]
    control_seq: int | None = None
    request_id: str | None = None
    error: str | None = None


class BranchRequest(BaseModel):
    enrollment_id: str
    scenario_id: str
    user_id: str
    step_id: str
    labels: list[str]
    conditions: list[Condition]
    at: datetime


class BranchChoice(BaseModel):
    index: int | None  # None: no branch holds
    inputs: dict[str, Any] = Field(default_factory=dict)
