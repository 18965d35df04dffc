"""Web-traffic and commerce events (docs/CONTRACT.md §3, §5): `page_view`, `cart_add`, `purchase` …"""

import json
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from api.deps import Admin, SessionDep
from api.errors import StrictJSONRoute
from domain.ids import UserId
from domain.moments import Moment
from store import events
from store.types import utcnow
from triggers import record

router = APIRouter(
    prefix="/events", tags=["events"], dependencies=Admin, route_class=StrictJSONRoute
)
MAX_PROPERTIES_BYTES = 16 * 1024
FUTURE_SLACK = timedelta(minutes=5)  # clocks differ a little; a day ahead is a bug


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not ignored
    user_id: UserId
    name: Annotated[
        str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:\-]+$")
    ] = Field(examples=["purchase"])
    properties: dict[Annotated[str, StringConstraints(min_length=1, max_length=100)], Any] = Field(
        default_factory=dict, max_length=100, examples=[{"sku": "A-100", "amount": 4800}]
    )
    occurred_at: Moment | None = None

    @field_validator("properties")
    @classmethod
    def _small(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(json.dumps(value, ensure_ascii=False).encode()) > MAX_PROPERTIES_BYTES:
            raise ValueError(f"must be at most {MAX_PROPERTIES_BYTES // 1024} KiB as JSON")
        return value

    @field_validator("occurred_at")
    @classmethod
    def _not_future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value > utcnow() + FUTURE_SLACK:
            raise ValueError("must not be in the future")
        return value


class EventPublic(BaseModel):
    seq: int
    user_id: str
    name: str
    properties: dict[str, Any]
    occurred_at: datetime
    recorded_at: datetime


@router.post("", status_code=status.HTTP_201_CREATED, response_model=EventPublic)
async def record_event(body: EventIn, session: SessionDep) -> Any:
    """Record an event for a friend; scenarios it triggers enrol them, and exits and
    `wait_for` steps waiting on it react at once (the event and what it calls for are one
    transaction: acted on even when Temporal is away at the moment)."""
    event = await events.record_event(
        session,
        user_id=body.user_id,
        name=body.name,
        properties=body.properties,
        occurred_at=body.occurred_at or utcnow(),
        commit=False,
    )
    record.event_recorded(
        session, user_id=event.user_id, name=event.name, properties=event.properties, seq=event.seq
    )
    await session.commit()
    return event
