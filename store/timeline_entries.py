"""A timeline's entries, each kind from its records, in the order things happened."""

from datetime import UTC, datetime, timedelta
from typing import Any

from core.windows import in_window
from domain.ids import is_test
from domain.statuses import LIVE
from domain.steps import MessageStep, walk_steps
from scenarios.runs import EnrollmentStatus
from store.tables import Delivery, Enrollment, Hold
from store.timeline_records import Records

HELD_AFTER = timedelta(seconds=1)  # a push planned this long after its step began was held
SKIPPED = "fell due while the friend had blocked the account, and the grace had passed"
Answer = EnrollmentStatus | str  # the query's answer, or why there is none

# same moment: follow, then enrollment, its steps (path order), clicks/events, block, end
_GROUP = {"follow": 0, "enrolled": 1, "click": 3, "event": 3, "block": 4, "enrollment_ended": 5}
_IN_STEP = {"step_entered": 0, "held": 1, "decision": 2, "skipped": 4}  # deliveries: 3


class Builder:
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
            if is_test(row.id):  # a test send's run: marked, never an enrollment of its own
                entry["detail"] = {**entry["detail"], "test": True}
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
                "via": delivery.via,
                "silent": delivery.silent,
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
                if is_test(click.enrollment_id):
                    self.found[-1][1]["detail"]["test"] = True
        for event in self.records.events:
            self.add(
                "event",
                event.occurred_at,
                detail={"name": event.name, "properties": event.properties, "seq": event.seq},
            )


def _from_ms(timestamp_ms: int) -> datetime:
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC)
