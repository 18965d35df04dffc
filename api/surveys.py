"""A friend's answer to a survey step: a tapped option (a postback carrying the question's
token) or, for a question without options, their next text message. Stored in the friend's
attribute with a `survey_answer` event, then the enrollment waiting for it is signalled and
goes on at once. A forged token, another friend's, a second answer or a question no longer
waited for changes nothing."""

import logging

from temporalio.client import Client

from api.messages import Incoming
from store import surveys
from store.db import Database
from triggers.temporal import survey_answered
from workflows.types import SurveyAnswered

log = logging.getLogger("stepline.surveys")


class SurveyAnswers:
    """A MessageHandler hook."""

    def __init__(self, db: Database, temporal: Client):
        self.db, self.temporal = db, temporal

    async def __call__(self, incoming: Incoming) -> None:
        parsed: tuple[str, int] | None = None  # a postback's (token, option index)
        if incoming.name == "postback":
            parsed = surveys.parse_postback(str(incoming.properties.get("data", "")))
            if parsed is None:
                return
        elif incoming.properties.get("type") != "text":
            return
        if not incoming.fresh:  # this webhook event processed again, or delivered again
            async with self.db.reading() as session:
                given = await surveys.given(session, webhook_event_id=incoming.webhook_event_id)
            if given is not None:  # it answered before: its signal may not have gone out
                await self.signal(given)
                return
        async with self.db.session() as session:
            if parsed is not None:
                token, index = parsed
                taken = await surveys.answer_postback(
                    session,
                    user_id=incoming.user_id,
                    token=token,
                    index=index,
                    at=incoming.at,
                    webhook_event_id=incoming.webhook_event_id,
                )
            else:
                taken = await surveys.answer_text(
                    session,
                    user_id=incoming.user_id,
                    text=str(incoming.properties.get("text", "")),
                    at=incoming.at,
                    webhook_event_id=incoming.webhook_event_id,
                )
        if taken is None:  # a text message, and no question waits for a text answer
            return
        if isinstance(taken, str):
            log.info(
                "survey answer of %s (webhook event %s) ignored: %s",
                incoming.user_id,
                incoming.webhook_event_id,
                taken,
            )
            return
        await self.signal(taken)

    async def signal(self, answered: surveys.Answered) -> None:
        signal = SurveyAnswered(step_id=answered.step_id, value=answered.value)
        if not await survey_answered(self.temporal, answered.enrollment_id, signal):
            log.info("survey answer for %s: the enrollment has finished", answered.enrollment_id)
