"""What crosses the Temporal boundary: one pydantic model per workflow, signal, query and
activity, so fields can be added later without breaking running enrollments."""

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from domain.conditions import Condition
from domain.ids import is_test
from domain.statuses import HoldReason, Status
from domain.steps import DateUntil, WaitStep
from scenarios.definition import ScenarioDefinition


class TestRun(BaseModel):
    """A test send's run (POST /scenarios/{id}/test-sends): never counted. `step`: that one
    message or survey step sent now; None: the whole scenario walked, each wait and timeout
    at most `wait` long, windows, quiet hours and a pause holding nothing."""

    __test__ = False  # not a pytest class
    step: str | None = None
    wait: timedelta = timedelta(seconds=5)


# what came to the enrollment workflow behind `workflow.patched`, and the protocol from which
# a new start takes it as given: no marker and no TemporalChangeVersion upsert in its history
# (two events and a visibility write each, per enrollment); enrollments started before carry
# protocol 0 and ask `patched` as their histories say (workflows/journey.py: `does`). A new
# change goes behind `patched` first; the next protocol may take it in.
PROTOCOL_CHANGES = {"reply-first": 1, "branch-then-send": 1, "finish-with-push": 1}
PROTOCOL = max(PROTOCOL_CHANGES.values())


class FirstWait(BaseModel):
    """The scenario's first step, a wait the admission wrote with the enrollment row (its
    progress and its step entry): the workflow takes this wake and records nothing more."""

    step_id: str
    wake: datetime


def first_wait(definition: ScenarioDefinition, at: datetime) -> FirstWait | None:
    """The first step's wait for a friend admitted at `at`, when it is a `duration` or a
    fixed `until` (a date attribute's is the workflow's to read)."""
    first = definition.steps[0] if definition.steps else None
    if not isinstance(first, WaitStep) or isinstance(first.until, DateUntil):
        return None
    return FirstWait(step_id=first.id, wake=first.wake(at))


class EnrollmentInput(BaseModel):
    enrollment_id: str
    scenario_id: str
    version: int
    user_id: str
    epoch: int
    definition: ScenarioDefinition
    paused: bool = False
    control_seq: int = 0
    # an admin retry of a `failed` enrollment: a new run that walks on from this message step
    resume_at: str | None = None
    sent: list[str] = Field(default_factory=list)  # steps the earlier runs sent
    # the fast path (a push first tried as a local activity; search attributes upserted only
    # where the enrollment waits). False for enrollments started before it existed, so that
    # their histories replay as they ran; every new start sets it.
    fast: bool = False
    # the start set StepStatus `waiting` and StepCurrent to the first step it walks
    # (triggers.temporal.start_enrollment), so its first wait upserts nothing; False for
    # enrollments started before this, whose histories hold that upsert
    indexed: bool = False
    test: TestRun | None = None  # a test send's run (`test:…` workflow id), not an enrollment
    # started by a webhook event with a replyToken (and the scenario says `reply_first`): a
    # first message due at once may go as the reply (activities/replying.py decides)
    reply: bool = False
    protocol: int = 0  # PROTOCOL_CHANGES taken as given (every new start sets PROTOCOL)
    first_wait: FirstWait | None = None  # recorded by the admission: not reported again


class Signal(BaseModel):
    """A signal from the change pipeline (triggers/dispatch.py): `change_id` is the outbox row
    it was sent for, so that the same change signalled twice changes nothing the second time."""

    change_id: int | None = None


class BlockSignal(Signal):
    reason: str = "unfollow"


class UnblockSignal(Signal):
    epoch: int  # the friend's follow epoch since the re-add (pushes carry it)


class MigrateSignal(Signal):
    """Move to a newer version of the scenario once the current step is done (when that step
    exists in it; otherwise the enrollment finishes on its own version)."""

    version: int
    definition: ScenarioDefinition


class ExitSignal(Signal):
    reason: str  # which exit condition held, for the record


class ConditionMet(Signal):
    step_id: str  # the wait_for step whose `until` now holds


class ControlSignal(Signal):
    action: Literal["pause", "resume", "end"]
    seq: int
    # resume: wait this long before the next send, so that a resumed scenario's held friends
    # are released spread over a period instead of all in the same second
    delay: timedelta | None = None


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
    skipped: list[str] = Field(default_factory=list)  # fell due while blocked, past the grace
    switched_to: str | None = None  # the enrollment a `switch` step started


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
    held: bool = False  # it waited (window, quiet hours, a cap…): spaced from other sends
    reply: bool = False  # due at once after the webhook event that started it: try a reply
    finish: ProgressUpdate | None = None  # its last step: once sent, record it completed

    @property
    def test(self) -> bool:
        """A test send's push: never held by the channel's policy, never counted."""
        return is_test(self.enrollment_id)


class SendOutcome(BaseModel):
    # skipped: not pushed for good, and the enrollment goes on (a coupon closed or expired)
    result: Literal[
        "sent", "deferred", "blocked", "capped", "paused", "ended", "exited", "failed", "skipped"
    ]
    not_before: datetime | None = None  # deferred: the earliest the policy allows
    hold: HoldReason | None = None  # deferred: why
    control_seq: int | None = None
    request_id: str | None = None
    error: str | None = None
    via: Literal["push", "reply"] = "push"  # sent: as a push (counted) or a reply (free)
    finished: bool = False  # sent, and the request's `finish` recorded with it


class BranchRequest(BaseModel):
    enrollment_id: str
    scenario_id: str
    user_id: str
    step_id: str
    labels: list[str]
    conditions: list[Condition]
    at: datetime
    # for each way (the branches, then `otherwise`): its first step's push when that is a
    # message due now, made in the same activity once the way is decided (None: not)
    sends: list[SendRequest | None] = Field(default_factory=list)


class BranchChoice(BaseModel):
    index: int | None  # None: no branch holds
    inputs: dict[str, Any] = Field(default_factory=dict)
    sent: SendOutcome | None = None  # the chosen way's push, when the request had one
    send_failed: str | None = None  # … which failed (its error type): the workflow pushes


class ConditionRequest(BaseModel):
    """A `wait_for` step: on entering (`progress` given) record the step and the last event
    seen; then decide whether `until` holds now."""

    enrollment_id: str
    scenario_id: str
    user_id: str
    step_id: str
    condition: Condition
    at: datetime
    events_after: int | None = None
    progress: "ProgressUpdate | None" = None


class ConditionResult(BaseModel):
    holds: bool
    events_after: int | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)  # the facts it was decided on


class DecisionRecord(BaseModel):
    """Which way a branch, a split or a wait_for went (for the stats), and on what facts."""

    enrollment_id: str
    scenario_id: str
    step_id: str
    label: str | None  # None: a branch step's `otherwise`
    index: int | None
    at: datetime
    inputs: dict[str, Any] = Field(default_factory=dict)


class FriendUpdate(BaseModel):
    """A `tag` or `attribute` step."""

    enrollment_id: str
    scenario_id: str
    user_id: str
    step_id: str
    add_tags: list[str] = Field(default_factory=list)
    remove_tags: list[str] = Field(default_factory=list)
    set_attributes: dict[str, Any] = Field(default_factory=dict)
    at: datetime


class SwitchRequest(BaseModel):
    enrollment_id: str
    scenario_id: str
    user_id: str
    step_id: str
    target: str
    at: datetime


class SwitchResult(BaseModel):
    enrollment_id: str | None = None  # None: the friend could not be enrolled there
    reason: str | None = None


class RichMenuRequest(BaseModel):
    """A `rich_menu` step: link `link` to the friend, or (None) unlink theirs."""

    enrollment_id: str
    scenario_id: str
    user_id: str
    step_id: str
    link: str | None = None
    at: datetime


class RichMenuResult(BaseModel):
    # linked / unlinked; skipped: the friend has blocked the account; failed: LINE refused
    # (an unknown rich menu, one without an image): the enrollment goes on either way
    result: Literal["linked", "unlinked", "skipped", "failed"]
    reason: str | None = None


class SurveyAnswered(Signal):
    """A survey step's question was answered (the answer is stored already)."""

    step_id: str
    value: Any = None


class SurveyClose(BaseModel):
    """A survey step's time is up: no answer counts any more; one given meanwhile (its
    signal lost) still does."""

    enrollment_id: str
    step_id: str


class SurveyResult(BaseModel):
    answered: bool
    value: Any = None
    label: str | None = None
