"""Response models shared by several routes."""

from datetime import datetime

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
