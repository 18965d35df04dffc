"""One friend's story in order: follows and blocks, enrollments begun and ended, each step
entered, held, sent (or failed, skipped), branch decisions with the facts they read, clicks
and events. Read from the database; what only a running workflow knows (a live hold, the
steps it skipped) comes from its `status` query, which the caller asks (`read` says which
enrollments to ask about, `build` puts the answers in)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.windows import in_window
from scenarios.definition import MessageStep, ScenarioDefinition, walk_steps
from scenarios.runs import LIVE, EnrollmentStatus
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

HELD_AFTER = timedelta(seconds=1)  # a push planned this long after its step began was held
SKIPPED = "fell due while the friend had blocked the account, and the grace had passed"
ASK_FINISHED = 20  # finished enrollments (of `on_unblock: resume` scenarios) asked for skips
Answer = EnrollmentStatus | str  # the query's answer, or why there is none

# same moment: follow, then enrollment, its steps (path order), clicks/events, block, end
_GROUP = {"follow": 0, "enrolled": 1, "click": 3, "event": 3, "block": 4, "enrollment_ended": 5}
_IN_STEP = {"step_entered": 0, "held": 1, "decision": 2, "skipped": 4}  # deliveries: 3


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


def build(
    records: Records,
    answers: Mapping[str, Answer],
    *,
    limit: int,
    before: datetime | None = None,
) -> dict[str, Any]:
    """The FriendTimeline (api/schemas.py): the newest `limit` entries (at or before
    `before`: an older page), oldest first, and the state of each live enrollment now."""
    timeline = _Builder(records)
    timeline.follows()
    for row in records.enrollments:
        timeline.enrollment(row, answers.get(row.id))
    timeline.steps()
    timeline.actions()
    entries = [entry for _, entry in sorted(timeline.found, key=lambda pair: pair[0])]
    if before is not None:
        entries = [entry for entry in entries if entry["at"] <= before]
    return {
        "user_id": records.friend.user_id,
        "following": records.friend.following,
        "entries": entries[-limit:],
        "truncated": len(entries) > limit,
        "now": [
            _now(row, answers.get(row.id)) for row in records.enrollments if row.status in LIVE
        ],
    }


class _Builder:
    def __init__(self, records: Records):
        self.records = records
        self.found: list[tuple[tuple, dict[str, Any]]] = []
        self.by_id = {row.id: row for row in records.enrollments}
        self.entered = {(e.enrollment_id, e.step_id): e.entered_at for e in records.entries}
        self.orders: dict[tuple[str, int], list[str]] = {}  # step ids in path order
        holds = sorted(records.holds, key=lambda hold: hold.seq or 0)
        self.last_hold = {hold.enrollment_id: hold for hold in holds}  # the newest of each
        self.held_steps = {(hold.enrollment_id, hold.step_id) for hold in holds}
        self.shown_live: set[int | None] = set()  # holds shown as an enrollment's state now

    def add(self, kind: str, at: datetime, *, row: Enrollment | None = None, **fields) -> None:
        step = fields.get("step_id")
        position = self.position(row, step) if row and step else 0
        group = _GROUP.get(kind, 2)
        key = (at, group, row.started_at if row and group == 2 else at, position)
        key += (_IN_STEP.get(kind, 3), len(self.found))
        entry = {"at": at, "kind": kind, "detail": {}, **fields}
        if row is not None:
            entry |= {"enrollment_id": row.id, "scenario_id": row.scenario_id}
        self.found.append((key, entry))

    def position(self, row: Enrollment, step_id: str) -> int:
        """Where the step is on the enrollment's paths: what one moment held comes in order."""
        key = (row.scenario_id, row.version)
        if key not in self.orders:
            definition = self.records.definitions.get(key)
            walked = walk_steps(definition.steps) if definition else []
            self.orders[key] = [step.id for _, step in walked]
        steps = self.orders[key]
        return steps.index(step_id) if step_id in steps else len(steps)

    def follows(self) -> None:
        friend, kinds = self.records.friend, set()
        for event in self.records.follows:
            kind = "follow" if event.type == "follow" else "block"
            kinds.add(kind)
            detail: dict[str, Any] = {"webhook_event_id": event.event_id}
            if event.type == "follow":
                detail["is_unblocked"] = bool((event.body.get("follow") or {}).get("isUnblocked"))
            self.add(kind, _from_ms(event.timestamp_ms), detail=detail)
        # a friend imported or added without a webhook on record: the row's own moments
        for kind, at in (("follow", friend.followed_at), ("block", friend.blocked_at)):
            if at is not None and kind not in kinds:
                self.add(kind, at, detail={"source": "friend"})

    def enrollment(self, row: Enrollment, answer: Answer | None) -> None:
        detail = {"version": row.version, "epoch": row.epoch, "entry": row.entry}
        self.add("enrolled", row.started_at, row=row, detail=detail)
        if row.ended_at is not None:
            self.add(
                "enrollment_ended",
                row.ended_at,
                row=row,
                status=row.status,
                step_id=row.current_step,
                reason=row.error,
            )
        if isinstance(answer, EnrollmentStatus):
            for step_id in answer.skipped:
                at = self.entered.get((row.id, step_id), row.updated_at)
                self.add("skipped", at, row=row, step_id=step_id, reason=SKIPPED)
        if row.status not in LIVE:
            return
        live = answer if isinstance(answer, EnrollmentStatus) else None
        status, step, wake, hold = (
            (live.status, live.step, live.next_wake_at, live.hold_reason)
            if live
            else (row.status, row.current_step, row.next_wake_at, row.hold_reason)
        )
        if status == "held" and step:
            source = "workflow" if live else "store"
            recorded = self.last_hold.get(row.id)
            if recorded is not None and (recorded.step_id, recorded.reason) == (step, hold):
                self.held(row, recorded, until=wake, live=True, source=source)
                self.shown_live.add(recorded.seq)
                return
            self.add(
                "held",
                self.entered.get((row.id, step), row.updated_at),
                row=row,
                step_id=step,
                reason=hold,
                until=wake,
                detail={"live": True, "source": source},
            )

    def steps(self) -> None:
        rows = self.by_id
        for entry in self.records.entries:
            if (row := rows.get(entry.enrollment_id)) is not None:
                self.add("step_entered", entry.entered_at, row=row, step_id=entry.step_id)
        for decision in self.records.decisions:
            if (row := rows.get(decision.enrollment_id)) is not None:
                self.add(
                    "decision",
                    decision.decided_at,
                    row=row,
                    step_id=decision.step_id,
                    label=decision.label,
                    detail={"index": decision.branch_index, "inputs": decision.inputs},
                )
        for delivery in self.records.deliveries:
            if (row := rows.get(delivery.enrollment_id)) is not None:
                self.delivery(row, delivery)
        for hold in self.records.holds:
            row = rows.get(hold.enrollment_id)
            if row is not None and hold.seq not in self.shown_live:
                self.held(row, hold, until=hold.until, live=False, source="store")

    def held(
        self, row: Enrollment, hold: Hold, *, until: datetime | None, live: bool, source: str
    ) -> None:
        """A hold on record: why, from when, until when it was to wait."""
        self.add(
            "held",
            hold.since,
            row=row,
            step_id=hold.step_id,
            reason=hold.reason,
            until=until,
            detail={"live": live, "source": source},
        )

    def delivery(self, row: Enrollment, delivery: Delivery) -> None:
        planned = delivery.planned_at or delivery.created_at
        entered = self.entered.get((row.id, delivery.step_id))
        recorded = (row.id, delivery.step_id) in self.held_steps
        # enrollments from before holds were recorded (migration 0005): a late push was held
        if not recorded and entered is not None and planned - entered >= HELD_AFTER:
            self.add(
                "held",
                entered,
                row=row,
                step_id=delivery.step_id,
                reason=self.window_hold(row, delivery.step_id, entered),
                until=planned,
                detail={"live": False, "seconds": round((planned - entered).total_seconds())},
            )
        self.add(
            delivery.status,
            planned,
            row=row,
            step_id=delivery.step_id,
            status=delivery.status,
            reason=delivery.error,
            detail={
                "planned_at": delivery.planned_at,
                "sent_at": delivery.sent_at,
                "request_id": delivery.request_id,
            },
        )

    def window_hold(self, row: Enrollment, step_id: str, at: datetime) -> str | None:
        """`window` when the step began outside its delivery window; otherwise the channel's
        policy held it (quiet hours, a cap, a pause, the quota: which is not kept)."""
        definition = self.records.definitions.get((row.scenario_id, row.version))
        step = definition.step(step_id) if definition else None
        if isinstance(step, MessageStep) and step.window is not None:
            window = step.window
            if not in_window(at, definition.timezone, window.start, window.end):
                return "window"
        return None

    def actions(self) -> None:
        rows = self.by_id
        for click, url in self.records.clicks:
            self.add(
                "click",
                click.clicked_at,
                row=rows.get(click.enrollment_id),
                step_id=click.step_id,
                detail={"url": url, "user_agent": click.user_agent},
            )
            if click.enrollment_id not in rows:  # an enrollment older than those read
                self.found[-1][1] |= {
                    "enrollment_id": click.enrollment_id,
                    "scenario_id": click.scenario_id,
                }
        for event in self.records.events:
            self.add(
                "event",
                event.occurred_at,
                detail={"name": event.name, "properties": event.properties, "seq": event.seq},
            )


def _now(row: Enrollment, answer: Answer | None) -> dict[str, Any]:
    """A live enrollment's state: from its workflow, else from its row (saying why)."""
    if isinstance(answer, EnrollmentStatus):
        state = {
            "source": "workflow",
            "source_note": None,
            "status": answer.status,
            "step": answer.step,
            "next_wake_at": answer.next_wake_at,
            "hold_reason": answer.hold_reason,
            "error": answer.error,
            "skipped": answer.skipped,
        }
    else:
        state = {
            "source": "store",
            "source_note": answer,
            "status": row.status,
            "step": row.current_step,
            "next_wake_at": row.next_wake_at,
            "hold_reason": row.hold_reason,
            "error": row.error,
            "skipped": [],
        }
    return {"enrollment_id": row.id, "scenario_id": row.scenario_id, "version": row.version} | state


def _from_ms(timestamp_ms: int) -> datetime:
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC)
