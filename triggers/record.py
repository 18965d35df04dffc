"""Record a change in the caller's transaction, for the dispatcher to act on once it is
committed (triggers/dispatch.py). Call these before the commit that stores the change itself:
both are written, or neither."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import logs
from scenarios.date_runs import DateTriggerInput
from store import operations, outbox, webhooks
from store.pipeline_tables import Operation, Outbox
from store.tables import Scenario
from triggers.kinds import (
    Cause,
    Delivered,
    EventRecorded,
    FriendsChanged,
    FriendsChangedPart,
    Kind,
    Reason,
    ScheduleDate,
    SignalEnrollment,
    StartEnrollment,
)
from triggers.temporal import date_trigger_id

PER_ROW = 1000  # friends a `friends` row names: a large upload is many rows, each done alone
INLINE_EVENTS = 200  # events of one webhook body recorded before LINE is answered
BATCH_EVENTS = 500  # the rest: this many to an outbox row, recorded by the dispatcher


def add(
    session: AsyncSession, item: Kind, *, lane: str | None, operation_id: str | None = None
) -> Outbox:
    return outbox.add(
        session, item.kind, item.model_dump(mode="json"), lane=lane, operation_id=operation_id
    )


async def webhooks_acknowledged(
    session: AsyncSession, requests: list[list[dict]], *, inline: int | None = INLINE_EVENTS
) -> list[list[str]]:
    """store.webhooks.acknowledge, and each fresh event into the outbox, in its friend's lane
    (in the order LINE made them within a request). Of a request's events only the first
    `inline` are recorded so (None: all): the rest go into the outbox as they came, a
    `webhook_batch` row for each BATCH_EVENTS, for the dispatcher to record the same way —
    a body of thousands of events is durable, and answered, in the time of a few hundred."""
    if inline is not None:
        rest = [row for request in requests for row in request[inline:]]
        requests = [request[:inline] for request in requests]
        await outbox.add_many(
            session,
            [
                {"kind": "webhook_batch", "payload": {"rows": rest[start : start + BATCH_EVENTS]}}
                for start in range(0, len(rest), BATCH_EVENTS)
            ],
        )
    answers = await webhooks.acknowledge(session, requests)
    fresh = {event_id for answer in answers for event_id in answer}
    rows: dict[str, dict] = {}
    for request in requests:
        for row in request:
            if row["event_id"] in fresh:
                rows.setdefault(row["event_id"], row)
    ordered = sorted(rows.values(), key=lambda row: row["timestamp_ms"])
    await outbox.add_many(
        session,
        [
            {"kind": "webhook", "payload": {"event_id": row["event_id"]}, "lane": row["user_id"]}
            for row in ordered
        ],
    )
    return answers


def friends_changed(
    session: AsyncSession,
    user_ids: Iterable[str],
    *,
    reason: Reason,
    operation_id: str | None = None,
) -> int:
    """These friends' data changed; how many rows that took."""
    ids = list(dict.fromkeys(user_ids))
    rows = 0
    for start in range(0, len(ids), PER_ROW):
        part = ids[start : start + PER_ROW]
        model = FriendsChangedPart if operation_id else FriendsChanged
        item = model(user_ids=part, reason=reason, operation_id=operation_id)
        # one friend: in their lane, after what came before for them
        add(session, item, lane=part[0] if len(ids) == 1 else None, operation_id=operation_id)
        rows += 1
    return rows


def bulk_change(
    session: AsyncSession,
    user_ids: Iterable[str],
    *,
    reason: Reason,
    operation: Operation | None = None,
) -> Operation:
    """Many friends' data changed at once (an upload, an import): what it means for their
    journeys is worked out in the background, part by part, followed as an operation (a new
    one, or the given one of which they are a further part: a chunked import)."""
    ids = list(dict.fromkeys(user_ids))
    if operation is None:
        operation = operations.new(session, action=reason, scenario_id=None, total=len(ids))
    friends_changed(session, ids, reason=reason, operation_id=operation.id)
    return operation


def event_recorded(
    session: AsyncSession, *, user_id: str, name: str, properties: dict[str, Any], seq: int | None
) -> None:
    item = EventRecorded(user_id=user_id, name=name, properties=properties, seq=seq)
    add(session, item, lane=user_id)


async def delivered(session: AsyncSession, user_ids: Iterable[str]) -> dict[str, Outbox]:
    """Pushes went out to these friends: worth a look only while a scenario is triggered by
    an audience (which may be of deliveries). The scenario's activation takes everyone inside
    at that moment as inside already, so a push it does not see here changes nothing. The
    rows written, by friend."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    audience_triggered = await session.exec(
        select(Scenario.id)
        .where(Scenario.trigger_type == "audience", col(Scenario.status).in_(("active", "paused")))
        .limit(1)
    )
    if audience_triggered.first() is None:
        return {}
    return {user_id: add(session, Delivered(user_id=user_id), lane=user_id) for user_id in ids}


# Commands go in the lane of their workflow: its start before its signals, in the order they
# were recorded; one friend's enrollments go on side by side.


def start(session: AsyncSession, *, enrollment_id: str, cause: Cause) -> Outbox:
    item = StartEnrollment(enrollment_id=enrollment_id, cause=cause, origin=logs.current())
    return add(session, item, lane=enrollment_id)


async def starts(session: AsyncSession, enrollments: list[tuple[str, Cause, dict]]) -> None:
    """`start` for many (enrollment id, cause, origin: what the log lines name), in one
    statement (their seqs are not kept: the dispatcher's next round takes them)."""
    await outbox.add_many(
        session,
        [
            {
                "kind": "start",
                "payload": StartEnrollment(
                    enrollment_id=enrollment_id, cause=cause, origin=origin
                ).model_dump(mode="json"),
                "lane": enrollment_id,
            }
            for enrollment_id, cause, origin in enrollments
        ],
    )


def signal(
    session: AsyncSession,
    *,
    workflow_id: str,
    name: str,
    args: BaseModel,
    gone: str | None = None,
    at: datetime | None = None,
) -> Outbox:
    item = SignalEnrollment(
        workflow_id=workflow_id,
        signal=name,
        args=args.model_dump(mode="json"),
        gone=gone,  # type: ignore[arg-type]
        at=at,
    )
    return add(session, item, lane=workflow_id)


def schedule_date(session: AsyncSession, input: DateTriggerInput) -> Outbox:
    lane = date_trigger_id(input.scenario_id, input.user_id)
    return add(session, ScheduleDate(input=input), lane=lane)
