"""A step's messages as LINE would show them to one friend (the dashboard's studio): the
emulator's drawing (core/bubbles.py) with the placeholders filled exactly as a push fills them
(core/personalize.py: the same values, defaults and blanks as activities/sending.py); a survey
step's question as its push carries it (activities/survey.py). Pure: the caller reads the
friend (`recipient`) and renders off the event loop if it wants."""

from dataclasses import dataclass
from typing import Any, Literal

from sqlmodel.ext.asyncio.session import AsyncSession

from activities.survey import with_options
from core import bubbles
from core.personalize import fill, friend_values, placeholders
from domain.steps.survey import SurveyOption, SurveyStep
from store.tables import Friend

MAX_MESSAGES = 5  # a push carries at most five
TEMPLATE = "bubbles_preview.html"
PREVIEW_TOKEN = "preview"  # a question's postbacks carry its enrollment's token; a preview has none
_environment = bubbles.environment()


@dataclass(frozen=True)
class Filled:
    """What one placeholder became for this friend."""

    key: str  # "displayName", "attribute:plan"
    value: str | None  # None: left blank
    source: Literal["friend", "default", "blank"]


async def recipient(session: AsyncSession, user_id: str | None) -> Friend | None:
    """The friend a preview is for; None for none chosen or one the store does not know (a
    push to them fills defaults and blanks, and so does the preview)."""
    return await session.get(Friend, user_id) if user_id else None


def personalized(
    messages: list[dict], friend: Friend | None, defaults: dict[str, str] | None = None
) -> tuple[list[dict], list[Filled]]:
    """`messages` as a push fills them for `friend` (or a friend stepline knows nothing of),
    and what each placeholder became. Link tracking is left out: the links show where they
    lead, not the /r/… redirect a friend's copy carries."""
    keys = placeholders(messages)
    if not keys:
        return messages, []
    defaults = defaults or {}
    values = friend_values(
        friend.display_name if friend else None, friend.attributes if friend else {}
    )
    filled = []
    for key in keys:
        value: Any = values.get(key)
        if value not in (None, ""):
            filled.append(Filled(key, str(value), "friend"))
        elif defaults.get(key) is not None:
            filled.append(Filled(key, defaults[key], "default"))
        else:
            filled.append(Filled(key, None, "blank"))
    return fill(messages, values, defaults), filled


def render(
    messages: list[dict], friend: Friend | None, defaults: dict[str, str] | None = None
) -> str:
    """The messages drawn as LINE bubbles (an HTML fragment, everything in it escaped; style:
    core/static/bubbles.css, served at /static/dashboard/bubbles.css), with the last one's
    quick reply and a note of what each placeholder was filled with."""
    shown, filled = personalized(messages, friend, defaults)
    return _draw(shown, filled, friend)


def render_question(question: str, options: list[dict] | None, friend: Friend | None) -> str:
    """A survey step's question as its push draws: one text message, its placeholders filled
    for `friend` (a survey has no defaults), then a quick-reply button per option (none: a
    free-text answer), as activities/sending.py composes it. Options are drawn as typed, a
    label the checks refuse included."""
    shown, filled = personalized([{"type": "text", "text": question}], friend)
    if options:
        answers = [
            SurveyOption.model_construct(label=str(o.get("label") or ""), value=o.get("value"))
            for o in options
        ]
        shown = with_options(shown, SurveyStep.model_construct(options=answers), PREVIEW_TOKEN)
    return _draw(shown, filled, friend)


def _draw(shown: list[dict], filled: list[Filled], friend: Friend | None) -> str:
    return _environment.get_template(TEMPLATE).render(
        messages=shown,
        quick_reply=bubbles.quick_reply_items(shown[-1]) if shown else [],
        filled=filled,
        friend_id=friend.user_id if friend else None,
    )
