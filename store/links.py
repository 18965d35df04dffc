"""Tracked links (`/r/{token}`) and their clicks."""

import secrets

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.tables import Click, TrackedLink
from store.upsert import insert_ignore

TOKEN_PATTERN = r"^[A-Za-z0-9_\-]{22,64}$"


def new_token() -> str:
    """128 random bits, URL-safe: unguessable and not enumerable."""
    return secrets.token_urlsafe(16)


async def links_for(
    session: AsyncSession,
    *,
    enrollment_id: str,
    scenario_id: str,
    step_id: str,
    user_id: str,
    urls: list[str],
) -> dict[str, str]:
    """url → token for one step sent to one friend. A retried send finds the tokens of the
    first attempt, so a link in a message LINE already accepted keeps working."""
    rows = [
        {
            "token": new_token(),
            "enrollment_id": enrollment_id,
            "scenario_id": scenario_id,
            "step_id": step_id,
            "user_id": user_id,
            "position": position,
            "url": url,
        }
        for position, url in enumerate(urls)
    ]
    await insert_ignore(session, TrackedLink, rows)
    stored = await session.exec(
        select(TrackedLink).where(
            TrackedLink.enrollment_id == enrollment_id, TrackedLink.step_id == step_id
        )
    )
    by_position = {link.position: link for link in stored}
    await session.commit()
    return {url: by_position[position].token for position, url in enumerate(urls)}


async def record_click(
    session: AsyncSession, *, token: str, user_agent: str | None, commit: bool = True
) -> TrackedLink | None:
    link = await session.get(TrackedLink, token)
    if link is None:
        return None
    session.add(
        Click(
            token=token,
            enrollment_id=link.enrollment_id,
            scenario_id=link.scenario_id,
            step_id=link.step_id,
            user_id=link.user_id,
            user_agent=(user_agent or "")[:500] or None,
        )
    )
    if commit:
        await session.commit()
    return link
