"""Survey steps' questions and answers: one token per (enrollment, step), carried by the
question's postbacks (`stepline-survey:{token}:{index}`), so that only the friend it was sent
to can answer it, once, while the enrollment waits for it."""

import json
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.statuses import LIVE
from store.friends import merge_attributes
from store.tables import Enrollment, Event, SurveyToken
from store.types import utcnow
from store.upsert import insert_ignore

PREFIX = "stepline-survey:"
ANSWER_EVENT = "survey_answer"


@dataclass(frozen=True)
class Answered:
    """An answer taken: the enrollment to signal."""

    enrollment_id: str
    step_id: str
    value: Any
    label: str | None
    # the friend, and the `survey_answer` event recorded with it (its seq, its properties)
    user_id: str = field(default="", compare=False)
    event_seq: int | None = field(default=None, compare=False)
    properties: dict[str, Any] | None = field(default=None, compare=False)


def postback_data(token: str, index: int) -> str:
    return f"{PREFIX}{token}:{index}"


def parse_postback(data: str) -> tuple[str, int] | None:
    """(token, option index) of a survey postback's data; None for any other data."""
    if not data.startswith(PREFIX):
        return None
    token, _, index = data[len(PREFIX) :].rpartition(":")
    if not token or not index.isdigit() or len(index) > 3:
        return None
    return token, int(index)


async def token_for(
    session: AsyncSession,
    *,
    enrollment_id: str,
    scenario_id: str,
    step_id: str,
    user_id: str,
    attribute: str,
    options: list[dict[str, Any]] | None,
) -> str:
    """The question's token, made on the first try of its send and the same on every retry
    (so a retried push is the push LINE may have accepted); no commit."""
    row = {
        "token": secrets.token_urlsafe(24),
        "enrollment_id": enrollment_id,
        "scenario_id": scenario_id,
        "step_id": step_id,
        "user_id": user_id,
        "attribute": attribute,
        "free_text": options is None,
        "options": options or [],
        "created_at": utcnow(),
    }
    await insert_ignore(session, SurveyToken, [row])
    statement = select(SurveyToken.token).where(
        SurveyToken.enrollment_id == enrollment_id, SurveyToken.step_id == step_id
    )
    return (await session.exec(statement)).one()


async def answer_postback(
    session: AsyncSession,
    *,
    user_id: str,
    token: str,
    index: int,
    at: datetime,
    webhook_event_id: str | None = None,
    commit: bool = True,
) -> Answered | str:
    """Take a tapped option as the answer and commit (`commit=False`: the caller does); or
    why nothing changes (a forged or another friend's token, an answer given already, a
    question no longer waited for)."""
    row = await session.get(SurveyToken, token)
    if row is None:
        return "unknown token"
    if row.user_id != user_id:
        return f"token of another friend ({row.user_id})"
    if row.free_text or not 0 <= index < len(row.options):
        return f"no option {index}"
    option = row.options[index]
    return await _take(
        session, row, option["value"], option["label"], at, webhook_event_id, commit=commit
    )


async def given(session: AsyncSession, *, webhook_event_id: str) -> Answered | None:
    """The answer a webhook event gave already (None: it gave none)."""
    statement = select(SurveyToken).where(SurveyToken.answered_by == webhook_event_id)
    row = (await session.exec(statement)).first()
    if row is None:
        return None
    return Answered(row.enrollment_id, row.step_id, row.answer, row.label)


async def answer_text(
    session: AsyncSession,
    *,
    user_id: str,
    text: str,
    at: datetime,
    webhook_event_id: str | None = None,
    commit: bool = True,
) -> Answered | str | None:
    """The friend's text message as the answer to their newest open free-text question, and
    commit unless `commit=False` (None: no such question)."""
    statement = (
        select(SurveyToken)
        .where(
            SurveyToken.user_id == user_id,
            col(SurveyToken.free_text).is_(True),
            col(SurveyToken.answered_at).is_(None),
            col(SurveyToken.closed_at).is_(None),
        )
        .order_by(col(SurveyToken.created_at).desc())
        .limit(1)
    )
    row = (await session.exec(statement)).first()
    if row is None:
        return None
    return await _take(session, row, text, None, at, webhook_event_id, commit=commit)


async def _take(
    session: AsyncSession,
    row: SurveyToken,
    value: Any,
    label: str | None,
    at: datetime,
    webhook_event_id: str | None,
    *,
    commit: bool,
) -> Answered | str:
    if row.answered_at is not None:
        return "answered already"
    if row.closed_at is not None:
        return "the survey timed out"
    enrollment = await session.get(Enrollment, row.enrollment_id)
    if enrollment is None or enrollment.status not in LIVE:
        return "the enrollment is over"
    # only the first of two answers racing each other changes the row
    taken = await session.exec(
        update(SurveyToken)
        .where(
            col(SurveyToken.token) == row.token,
            col(SurveyToken.answered_at).is_(None),
            col(SurveyToken.closed_at).is_(None),
        )
        .values(answered_at=utcnow(), answer=value, label=label, answered_by=webhook_event_id)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return "answered already"  # (the UPDATE changed nothing)
    properties = {"step_id": row.step_id, "scenario_id": row.scenario_id, "value": value}
    if label is not None:
        properties["label"] = label
    event = Event(user_id=row.user_id, name=ANSWER_EVENT, properties=properties, occurred_at=at)
    session.add(event)
    await session.flush()  # its seq
    await merge_attributes(
        session, user_id=row.user_id, attributes={row.attribute: value}, commit=commit
    )
    return Answered(
        row.enrollment_id, row.step_id, value, label, row.user_id, event.seq, properties
    )


async def close(session: AsyncSession, *, enrollment_id: str, step_id: str) -> SurveyToken | None:
    """The time is up: no answer counts from now on; the row as it ends (answered or not),
    None when the question was never sent. Commits."""
    await session.exec(
        update(SurveyToken)
        .where(
            col(SurveyToken.enrollment_id) == enrollment_id,
            col(SurveyToken.step_id) == step_id,
            col(SurveyToken.answered_at).is_(None),
            col(SurveyToken.closed_at).is_(None),
        )
        .values(closed_at=utcnow())
    )
    await session.commit()
    statement = select(SurveyToken).where(
        SurveyToken.enrollment_id == enrollment_id, SurveyToken.step_id == step_id
    )
    return (await session.exec(statement)).first()


def answer_key(value: Any) -> str:
    """An answer as a key of the stats' distribution: text as it is, other values as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


async def distribution(session: AsyncSession, enrollment_ids: Any) -> dict[str, dict[str, Any]]:
    """Per survey step: questions asked, answered, and the count of each answer, over the
    enrollments `enrollment_ids` (a subquery)."""
    found: dict[str, dict[str, Any]] = {}
    statement = select(SurveyToken.step_id, SurveyToken.answered_at, SurveyToken.answer).where(
        col(SurveyToken.enrollment_id).in_(enrollment_ids)
    )
    for step_id, answered_at, value in await session.exec(statement):
        stats = found.setdefault(step_id, {"asked": 0, "answered": 0, "answers": defaultdict(int)})
        stats["asked"] += 1
        if answered_at is not None:
            stats["answered"] += 1
            stats["answers"][answer_key(value)] += 1
    return found
