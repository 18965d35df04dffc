"""The test send table (store/test_sends.py reads and writes it)."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from store.columns import SEQ, json_column, now


class TestSend(SQLModel, table=True):
    """One test send as asked: the scenario version, one step or the whole walk, the testers,
    and the operation that follows its runs' starts."""

    __test__ = False  # not a pytest class
    __table_args__ = {"sqlite_autoincrement": True}  # a seq (a run's id) is never reused
    seq: int | None = Field(default=None, primary_key=True, sa_type=SEQ)
    scenario_id: str = Field(index=True, max_length=32)
    version: int
    step_id: str | None = Field(default=None, max_length=64)  # None: the whole scenario
    wait_seconds: int | None = None  # a walk: each wait and timeout at most this long
    user_ids: list = json_column()
    operation_id: str = Field(max_length=32)
    # the caller's Idempotency-Key: the same key is the same test send, sent once
    idempotency_key: str | None = Field(default=None, max_length=200, unique=True, index=True)
    fingerprint: str = Field(max_length=64)  # what was asked, to tell a reused key
    created_at: datetime = now()
