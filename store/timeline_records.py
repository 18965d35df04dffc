"""Reading a friend's timeline: the newest rows of each kind, and which workflows to ask."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.statuses import LIVE
from scenarios.definition import ScenarioDefinition
from store.scenarios import get_definition
from store.tables import (
    BranchDecision,
    Click,
    Delivery,
    Enrollment,
    Event,
    Friend,
    Hold,
    StepEntry,
    TrackedLink,
    WebhookEvent,
)

ASK_FINISHED = 20  # finished enrollments (of `on_unblock: resume` scenarios) asked for skips


@dataclass
class Records:
    friend: Friend
    enrollments: list[Enrollment]
    definitions: dict[tuple[str, int], ScenarioDefinition]
    follows: list[WebhookEvent]
    entries: list[StepEntry]
    decisions: list[BranchDecision]
    deliveries: list[Delivery]
    holds: list[Hold]
    clicks: list[tuple[Click, str | None]]  # with the URL clicked
    events: list[Event]
    to_ask: list[str] = field(default_factory=list)  # enrollments whose workflow to query


async def read(
    session: AsyncSession, *, user_id: str, limit: int, before: datetime | None = None
) -> Records | None:
    """Everything the timeline needs (the newest rows of each kind, or the newest at or
    before `before`: an older page); None: no such friend."""
    friend = await session.get(Friend, user_id)
    if friend is None:
        return None
    limit += 1  # one more than kept: a kind with more rows than that says `truncated`

    async def _newest(statement, order, limit: int | None = None, cut=None) -> list:
        if before is not None:
            column = order if cut is None else cut
            bound = (
                int(before.timestamp() * 1000) if column is WebhookEvent.timestamp_ms else before
            )
            statement = statement.where(col(column) <= bound)
        return await _ordered(session, statement, order, limit)

    mine = select(Enrollment).where(Enrollment.user_id == user_id)
    newest = await _newest(mine, Enrollment.started_at, limit)
    live = await _ordered(session, mine.where(col(Enrollment.status).in_(LIVE)), Enrollment.id)
    enrollments = list({row.id: row for row in [*newest, *live]}.values())
    ids = select(Enrollment.id).where(Enrollment.user_id == user_id).scalar_subquery()
    definitions: dict[tuple[str, int], ScenarioDefinition] = {}
    for key in sorted({(row.scenario_id, row.version) for row in enrollments}):
        try:
            definitions[key] = await get_definition(session, scenario_id=key[0], version=key[1])
        except LookupError:
            pass
    clicks = select(Click, TrackedLink.url).join(
        TrackedLink, col(TrackedLink.token) == col(Click.token), isouter=True
    )
    records = Records(
        friend=friend,
        enrollments=enrollments,
        definitions=definitions,
        follows=await _newest(
            select(WebhookEvent).where(
                WebhookEvent.user_id == user_id,
                col(WebhookEvent.type).in_(("follow", "unfollow")),
            ),
            WebhookEvent.timestamp_ms,
            limit,
        ),
        entries=await _newest(
            select(StepEntry).where(col(StepEntry.enrollment_id).in_(ids)),
            StepEntry.entered_at,
            limit,
        ),
        decisions=await _newest(
            select(BranchDecision).where(col(BranchDecision.enrollment_id).in_(ids)),
            BranchDecision.decided_at,
            limit,
        ),
        deliveries=await _newest(
            select(Delivery).where(Delivery.user_id == user_id), Delivery.created_at, limit
        ),
        holds=await _newest(
            select(Hold).where(col(Hold.enrollment_id).in_(ids)), Hold.seq, limit, cut=Hold.since
        ),
        clicks=[
            (click, url)
            for click, url in await _newest(
                clicks.where(Click.user_id == user_id), Click.clicked_at, limit
            )
        ],
        events=await _newest(
            select(Event).where(Event.user_id == user_id), Event.occurred_at, limit
        ),
    )
    finished = [row.id for row in enrollments if _may_have_skipped(row, definitions)]
    records.to_ask = [row.id for row in live] + finished[:ASK_FINISHED]
    return records


async def _ordered(session: AsyncSession, statement, order, limit: int | None = None) -> list:
    statement = statement.order_by(col(order).desc())
    return list(await session.exec(statement if limit is None else statement.limit(limit)))


def _may_have_skipped(row: Enrollment, definitions: Mapping) -> bool:
    """Finished, in a scenario that skips what fell due while blocked (only its workflow knows
    which steps it skipped)."""
    definition = definitions.get((row.scenario_id, row.version))
    return row.status not in LIVE and definition is not None and definition.on_unblock == "resume"
