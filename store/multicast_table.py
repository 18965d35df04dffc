"""The multicast batch's table (store/multicasts.py says what it is for)."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from store.columns import json_column, moment, now


class MulticastBatch(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=36)  # also the request's X-Line-Retry-Key
    scenario_id: str = Field(max_length=32)
    version: int
    step_id: str = Field(max_length=64)
    user_ids: list = json_column()
    silent: bool = False
    request_id: str | None = None  # LINE's, once it took the request
    created_at: datetime = now()
    sent_at: datetime | None = moment()
