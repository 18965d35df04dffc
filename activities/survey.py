"""Survey steps: the question as a message (its options as quick-reply postbacks carrying the
enrollment's token), and the local activity that closes a question whose time is up."""

from typing import Any

from temporalio import activity

from domain.steps import MessageStep, Step, SurveyStep
from scenarios.runs import SurveyClose, SurveyResult
from store import surveys
from store.db import Database
from workflows import contract


def as_message_step(step: Step | None) -> MessageStep | None:
    """What the send activity pushes for a message step, or a survey step's question (its
    options are added with the token, by `with_options`); None for any other step."""
    if isinstance(step, MessageStep):
        return step
    if isinstance(step, SurveyStep):
        return MessageStep(
            id=step.id,
            type="message",
            messages=[{"type": "text", "text": step.question}],
            window=step.window,
            track_links=False,
        )
    return None


def with_options(messages: list[dict[str, Any]], step: SurveyStep, token: str) -> list[dict]:
    """The question with a quick-reply button per option: a postback whose data carries the
    token and the option's index, shown in the chat as the label."""
    if not step.options:
        return messages
    items = [
        {
            "type": "action",
            "action": {
                "type": "postback",
                "label": option.label,
                "data": surveys.postback_data(token, index),
                "displayText": option.label,
            },
        }
        for index, option in enumerate(step.options)
    ]
    return [*messages[:-1], {**messages[-1], "quickReply": {"items": items}}]


class SurveyActivities(contract.Surveys):
    def __init__(self, db: Database):
        self.db = db

    @activity.defn
    async def close_survey(self, request: SurveyClose) -> SurveyResult:
        """No answer counts any more; one taken before (its signal lost) still does."""
        async with self.db.session() as session:
            row = await surveys.close(
                session, enrollment_id=request.enrollment_id, step_id=request.step_id
            )
        if row is None or row.answered_at is None:
            return SurveyResult(answered=False)
        return SurveyResult(answered=True, value=row.answer, label=row.label)
