"""Tracked links (docs/CONTRACT.md §3): `GET /r/{token}` records the click and redirects."""

import re

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import RedirectResponse

from api.deps import SessionDep
from app import friends
from store import links

router = APIRouter(tags=["links"])
_TOKEN = re.compile(links.TOKEN_PATTERN)


@router.get("/r/{token}", response_class=RedirectResponse, status_code=302)
async def follow_link(
    token: str,
    request: Request,
    session: SessionDep,
) -> RedirectResponse:
    """Record the click (friend, scenario, step) and send the browser on (302)."""
    link = None
    if _TOKEN.match(token):
        link = await links.record_click(
            session, token=token, user_agent=request.headers.get("user-agent"), commit=False
        )
    if link is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="unknown link")
    # exits, wait_fors and audience triggers: the dispatcher's, the redirect never waits
    await friends.changed(session, [link.user_id], reason="click")
    return RedirectResponse(link.url, status.HTTP_302_FOUND, headers={"Cache-Control": "no-store"})
