"""A step's messages as LINE would show them to one friend (the dashboard's studio): the
emulator's drawing (core/bubbles.py) with the placeholders filled exactly as a push fills them
(core/personalize.py: the same values, defaults and blanks as activities/sending.py). Pure:
the caller reads the friend (`recipient`) and renders off the event loop if it wants."""

from dataclasses import dataclass
from typing import Any, Literal

from sqlmodel.ext.asyncio.session import AsyncSession

from core import bubbles
from core.personalize import fill, friend_values, placeholders
from store.tables import Friend

MAX_MESSAGES = 5  # a push carries at most five
TEMPLATE = "bubbles_preview.html"
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
    return _environment.get_template(TEMPLATE).render(
        messages=shown,
        quick_reply=bubbles.quick_reply_items(shown[-1]) if shown else [],
        filled=filled,
        friend_id=friend.user_id if friend else None,
    )
