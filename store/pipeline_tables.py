"""The durable change pipeline's tables: the outbox (every change that Temporal is to act on,
written in the transaction of the change itself) and bulk operations (a scenario paused for
100,000 friends, followed as it goes)."""

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from store.columns import SEQ, UTCDateTime, json_column, moment, now
from store.types import utcnow


class Outbox(SQLModel, table=True):
    """One change not acted on yet (triggers/dispatch.py): either a change to evaluate (a
    webhook event, an event, a friend's data…), which turns into commands in one transaction,
    or a command for Temporal (start, signal…). Deleted once done. Rows of one `lane` (a
    friend, a scenario) are taken strictly in `seq` order."""

    # AUTOINCREMENT on SQLite: a seq is never used twice (signals carry it as their change id)
    __table_args__ = (Index("ix_outbox_lane_seq", "lane", "seq"), {"sqlite_autoincrement": True})
    seq: int | None = Field(default=None, primary_key=True, sa_type=SEQ)
    kind: str = Field(max_length=32)
    lane: str | None = Field(default=None, max_length=200)
    payload: dict = json_column()
    created_at: datetime = now()
    # when it last became due: made, or (a bulk operation) its last step done; its age is
    # how long it has waited
    since: datetime = now()
    available_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True
    )
    attempts: int = 0
    failing_since: datetime | None = moment()  # the first failed attempt of a row still failing
    last_error: str | None = None
    lease_until: datetime | None = moment()  # a dispatcher works on it until then
    owner: str | None = Field(default=None, max_length=100)
    operation_id: str | None = Field(default=None, max_length=32, index=True)


class Operation(SQLModel, table=True):
    """A bulk operation (pause, resume, end or migrate every enrollment of a scenario, the
    date schedules of every friend, a large audience upload): answered at once, done in the
    background step by step, and followed here."""

    id: str = Field(primary_key=True, max_length=32)
    scenario_id: str | None = Field(default=None, max_length=32, index=True)
    action: str = Field(max_length=32)
    status: str = Field(default="queued", max_length=16)  # queued | running | done | superseded
    total: int = 0  # friends or enrollments it is expected to reach
    done: int = 0
    params: dict = json_column()
    cursor: dict = json_column()  # where the next step starts ({} : at the beginning)
    created_at: datetime = now()
    updated_at: datetime = now()
    finished_at: datetime | None = moment()
    last_error: str | None = None
