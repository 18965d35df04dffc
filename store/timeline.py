"""One friend's story in order: follows and blocks, enrollments begun and ended, each step
entered, held, sent (or failed, skipped), branch decisions with the facts they read, clicks
and events. Read from the database; what only a running workflow knows (a live hold, the
steps it skipped) comes from its `status` query, which the caller asks (`read`, in
store/timeline_records.py, says which enrollments to ask about, `build` puts the answers in)."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from domain.ids import is_test
from domain.statuses import LIVE
from scenarios.runs import EnrollmentStatus
from store.tables import Enrollment
from store.timeline_entries import Answer, Builder
from store.timeline_records import Records


def build(
    records: Records,
    answers: Mapping[str, Answer],
    *,
    limit: int,
    before: datetime | None = None,
) -> dict[str, Any]:
    """The FriendTimeline (api/schemas.py): the newest `limit` entries (at or before
    `before`: an older page), oldest first, and the state of each live enrollment now."""
    timeline = Builder(records)
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
    return {
        "enrollment_id": row.id,
        "scenario_id": row.scenario_id,
        "version": row.version,
        "test": is_test(row.id),
    } | state
