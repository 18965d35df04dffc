"""The database: scenarios and their versions, friends, audiences, webhook events, enrollments
and what happened in them (steps entered, deliveries, branch decisions)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.columns import SEQ as _SEQ
from store.columns import UTCDateTime
from store.columns import json_column as _json
from store.columns import moment as _when
from store.columns import now as _now
from store.types import utcnow


class Scenario(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=32)
    name: str
    status: str = Field(default="draft", index=True)  # draft | active | paused | ended
    version: int = 1  # the version new enrollments start on
    control_seq: int = 0  # bumps on pause/resume/end so late signals cannot undo newer ones
    trigger_type: str = Field(index=True)
    delivery_cap: int | None = None
    sent_count: int = 0  # pushes made, checked atomically against delivery_cap
    created_at: datetime = _now()
    updated_at: datetime = _now()


class ScenarioVersion(SQLModel, table=True):
    scenario_id: str = Field(primary_key=True, foreign_key="scenario.id", max_length=32)
    version: int = Field(primary_key=True)
    definition: dict = _json()
    created_at: datetime = _now()


class Friend(SQLModel, table=True):
    user_id: str = Field(primary_key=True, max_length=33)
    following: bool = False
    epoch: int = 0  # bumps on every follow after a block: one enrollment per epoch
    state_at_ms: int = Field(
        default=0, sa_type=BigInteger
    )  # LINE timestamp of the follow/unfollow that set `following`
    followed_at: datetime | None = _when()
    blocked_at: datetime | None = _when()
    route: str = "unknown"
    attributes: dict = _json()
    # LINE profile (get profile API), cached: display name for {displayName}, language
    display_name: str | None = None
    picture_url: str | None = None
    language: str | None = None
    profile_at: datetime | None = _when()
    created_at: datetime = _now()
    updated_at: datetime = _now()


class FriendTag(SQLModel, table=True):
    user_id: str = Field(primary_key=True, max_length=33)
    tag: str = Field(primary_key=True, max_length=100)
    created_at: datetime = _now()


class Audience(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=32)
    name: str
    kind: str
    params: dict = _json()
    created_at: datetime = _now()


class AudienceMember(SQLModel, table=True):
    audience_id: str = Field(primary_key=True, foreign_key="audience.id", max_length=32)
    user_id: str = Field(primary_key=True, max_length=33)
    added_at: datetime = _now()


class WebhookEvent(SQLModel, table=True):
    event_id: str = Field(primary_key=True, max_length=64)  # LINE's webhookEventId
    type: str
    user_id: str | None = Field(default=None, index=True)
    timestamp_ms: int = Field(sa_type=BigInteger)
    redelivery: bool = False
    body: dict = _json()
    received_at: datetime = _now()
    processed_at: datetime | None = _when(index=True)
    attempts: int = 0
    last_error: str | None = None
    # the enrollment that used the event's replyToken (one use: the first message due at once)
    reply_claimed_by: str | None = Field(default=None, max_length=200)
    reply_claimed_at: datetime | None = _when()


class Enrollment(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=200)  # the workflow id
    scenario_id: str = Field(index=True, max_length=32)
    version: int
    user_id: str = Field(index=True, max_length=33)
    epoch: int
    entry: int = 1  # 2, 3 … when a `reentry: true` scenario takes the friend again
    event_seq: int = Field(default=0, sa_type=BigInteger)  # last Event.seq when it began
    # the webhook event (follow, message, postback) that started it: its replyToken may carry
    # the first message, free (activities/replying.py)
    reply_event: str | None = Field(default=None, max_length=64)
    status: str = Field(default="waiting", index=True)
    current_step: str | None = None
    next_wake_at: datetime | None = _when()
    hold_reason: str | None = None
    error: str | None = None
    started_at: datetime = _now()
    updated_at: datetime = _now()
    ended_at: datetime | None = _when()


class StepEntry(SQLModel, table=True):
    enrollment_id: str = Field(primary_key=True, max_length=200)
    step_id: str = Field(primary_key=True, max_length=64)
    scenario_id: str = Field(index=True, max_length=32)
    entered_at: datetime = _now()
    event_seq: int | None = Field(default=None, sa_type=BigInteger)  # wait_for: events after it


class Delivery(SQLModel, table=True):
    enrollment_id: str = Field(primary_key=True, max_length=200)
    step_id: str = Field(primary_key=True, max_length=64)
    scenario_id: str = Field(index=True, max_length=32)
    user_id: str = Field(index=True, max_length=33)
    retry_key: str
    status: str = "reserved"  # a DeliveryStatus (domain/statuses.py; store/deliveries.py)
    via: str = "push"  # a DeliveryVia: a reply is free (not counted in LINE's plan)
    silent: bool = False  # sent with notificationDisabled (the step's or the quiet hours')
    # the multicast it goes in (store/multicasts.py): every attempt sends that request again
    batch: str | None = Field(default=None, max_length=36, index=True)
    request_id: str | None = None
    error: str | None = None
    planned_at: datetime | None = _when()
    sent_at: datetime | None = _when()
    created_at: datetime = _now()


class BranchDecision(SQLModel, table=True):
    enrollment_id: str = Field(primary_key=True, max_length=200)
    step_id: str = Field(primary_key=True, max_length=64)
    scenario_id: str = Field(index=True, max_length=32)
    label: str | None = None  # None: `otherwise` (or nothing) was taken
    branch_index: int | None = None
    decided_at: datetime = _now()
    # the facts the decision read: attributes, tags, audiences, events, clicks (or a split's
    # weights), to explain it later
    inputs: dict = _json()


class Event(SQLModel, table=True):
    """Web-traffic and commerce events (`POST /events`), and the friend's postbacks and
    messages (LINE's webhooks); `seq` orders them as they arrived."""

    seq: int | None = Field(default=None, primary_key=True, sa_type=_SEQ)
    user_id: str = Field(index=True, max_length=33)
    name: str = Field(index=True, max_length=100)
    properties: dict = _json()
    occurred_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    recorded_at: datetime = _now()
    # the LINE webhook event it was recorded from (a postback, a message): once per webhook
    # event, however often that is processed
    webhook_event_id: str | None = Field(default=None, max_length=64, unique=True, index=True)


class Hold(SQLModel, table=True):
    """An enrollment held at a step (a window, quiet hours, a cap, a pause, the quota…): why,
    from when, and until when it was to wait when the hold began — for the friend timeline."""

    seq: int | None = Field(default=None, primary_key=True, sa_type=_SEQ)
    enrollment_id: str = Field(index=True, max_length=200)
    scenario_id: str = Field(max_length=32)
    step_id: str = Field(max_length=64)
    reason: str | None = None
    since: datetime = Field(sa_type=UTCDateTime, nullable=False)
    until: datetime | None = _when()


class TrackedLink(SQLModel, table=True):
    """A rewritten https URL of one message step sent to one friend (`/r/{token}`)."""

    __table_args__ = (UniqueConstraint("enrollment_id", "step_id", "position"),)
    token: str = Field(primary_key=True, max_length=64)
    enrollment_id: str = Field(index=True, max_length=200)
    scenario_id: str = Field(index=True, max_length=32)
    step_id: str = Field(max_length=64)
    user_id: str = Field(index=True, max_length=33)
    position: int  # which distinct URL of the step (stable across retries of the send)
    url: str
    created_at: datetime = _now()


class Click(SQLModel, table=True):
    seq: int | None = Field(default=None, primary_key=True, sa_type=_SEQ)
    token: str = Field(index=True, max_length=64)
    enrollment_id: str = Field(index=True, max_length=200)
    scenario_id: str = Field(index=True, max_length=32)
    step_id: str = Field(max_length=64)
    user_id: str = Field(index=True, max_length=33)
    clicked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    user_agent: str | None = None


class TriggerMembership(SQLModel, table=True):
    """Whether a friend was inside an audience-triggered scenario's audience when last looked
    at: a trigger fires when this turns from outside to inside."""

    scenario_id: str = Field(primary_key=True, max_length=32)
    user_id: str = Field(primary_key=True, max_length=33)
    inside: bool
    changed_at: datetime = _now()


class JoinRequest(SQLModel, table=True):
    """A route link opened (`GET /join/{route}`): LINE Login's `state`, until it comes back."""

    state: str = Field(primary_key=True, max_length=64)
    route: str = Field(max_length=100)
    nonce: str = Field(max_length=64)
    created_at: datetime = _now()
    user_id: str | None = Field(default=None, max_length=33)
    completed_at: datetime | None = _when()


class ChannelSettings(SQLModel, table=True):
    """The channel's delivery policy (scenarios.policy.ChannelPolicy), one row."""

    id: int = Field(default=1, primary_key=True)
    policy: dict = _json()
    updated_at: datetime = _now()


class SurveyToken(SQLModel, table=True):
    """A survey step's question as sent to one enrollment: the unguessable token its
    postbacks carry, what the answer is stored as, and the answer once given."""

    __table_args__ = (UniqueConstraint("enrollment_id", "step_id"),)
    token: str = Field(primary_key=True, max_length=64)
    enrollment_id: str = Field(index=True, max_length=200)
    scenario_id: str = Field(index=True, max_length=32)
    step_id: str = Field(max_length=64)
    user_id: str = Field(index=True, max_length=33)
    attribute: str = Field(max_length=100)
    free_text: bool = False  # no options: the friend's next text message is the answer
    options: list = _json()  # [{label, value}], in the order of the postbacks' indexes
    created_at: datetime = _now()
    answered_at: datetime | None = _when()
    answer: Any = Field(default=None, sa_column=Column(JSON, nullable=True))  # the option's value
    label: str | None = Field(default=None, max_length=100)  # the option tapped; None: free text
    answered_by: str | None = Field(default=None, max_length=64, index=True)  # webhookEventId
    closed_at: datetime | None = _when()  # timed out: no answer counts any more


# the durable change pipeline's tables (triggers/dispatch.py), dashboard sessions, studio
# drafts and the dashboard's kept CSV imports, on the same metadata
from store.drafts import StudioDraft  # noqa: E402, F401
from store.import_uploads import ImportUpload  # noqa: E402, F401
from store.multicast_table import MulticastBatch  # noqa: E402, F401
from store.pipeline_tables import Operation, Outbox  # noqa: E402, F401
from store.sessions import DashboardSession  # noqa: E402, F401
from store.test_send_table import TestSend  # noqa: E402, F401
