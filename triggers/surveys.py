"""A friend's answer to a survey step: a tapped option (a postback carrying the question's
token) or, for a question without options, their next text message. Stored in the friend's
attribute with a `survey_answer` event, in the dispatcher's transaction with the signal that
lets the enrollment waiting for it go on at once. A forged token, another friend's, a second
answer or a question no longer waited for changes nothing."""

import logging
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from scenarios.runs import SurveyAnswered
from store import surveys
from store.tables import WebhookEvent
from triggers import record

log = logging.getLogger("stepline.surveys")


async def answer(
    session: AsyncSession,
    event: WebhookEvent,
    name: str,
    properties: dict[str, Any],
    at: datetime,
    *,
    fresh: bool = True,
) -> surveys.Answered | None:
    """The answer this postback or message gives, stored with its signal (None: none, or
    given before). `fresh`: False when this webhook event was recorded before (evaluated
    again): an answer it gave then is signalled again, never given twice."""
    assert event.user_id is not None
    if not fresh and (given := await surveys.given(session, webhook_event_id=event.event_id)):
        _signal(session, given)
        return None
    if name == "postback":
        parsed = surveys.parse_postback(str(properties.get("data", "")))
        if parsed is None:
            return None
        token, index = parsed
        taken = await surveys.answer_postback(
            session,
            user_id=event.user_id,
            token=token,
            index=index,
            at=at,
            webhook_event_id=event.event_id,
            commit=False,
        )
    elif properties.get("type") == "text":
        taken = await surveys.answer_text(
            session,
            user_id=event.user_id,
            text=str(properties.get("text", "")),
            at=at,
            webhook_event_id=event.event_id,
            commit=False,
        )
    else:
        return None
    if taken is None:  # a text message, and no question waits for a text answer
        return None
    if isinstance(taken, str):
        log.info(
            "survey answer of %s (webhook event %s) ignored: %s",
            event.user_id,
            event.event_id,
            taken,
        )
        return None
    _signal(session, taken)
    return taken


def _signal(session: AsyncSession, taken: surveys.Answered) -> None:
    record.signal(
        session,
        workflow_id=taken.enrollment_id,
        name="survey_answered",
        args=SurveyAnswered(step_id=taken.step_id, value=taken.value),
    )
