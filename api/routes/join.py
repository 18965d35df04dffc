"""Route links (追加経路): `GET /join/{route}` sends the visitor through LINE Login with
`bot_prompt=aggressive`, so that they log in and add the Official Account in one go; LINE sends
them back to `GET /join/callback`, where the login tells us their user ID and the route is
recorded on the friend. The follow webhook carries no route: this is how a friend gets one.

Setup: a LINE Login channel linked to the Official Account (LINE_LOGIN_CHANNEL_ID,
LINE_LOGIN_CHANNEL_SECRET), with `{STEPLINE_PUBLIC_URL}/join/callback` registered as its
callback URL. `callback` therefore cannot be a route name. These are browser pages, left out of
the admin API's OpenAPI description.

Anyone may open a link, so: only a route the operator handed out is taken (one that a follow
scenario or a route audience names: store/joins.py), each address may open a few a minute,
and the login's `state` is bound to the browser that opened the link (a short-lived cookie
holding an HMAC of it), so a state seen elsewhere cannot be completed by another browser.
"""

import base64
import hashlib
import hmac
import html
import logging
import re
from contextlib import asynccontextmanager

import httpx
from fastapi import APIRouter, FastAPI, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import ServicesDep
from api.line_login import LineLoginClient, LoginRejected, LoginUnavailable
from api.throttle import client_of
from app import friends
from core.config import Settings
from store import joins

log = logging.getLogger("stepline.join")

ROUTE = re.compile(r"[A-Za-z0-9_.\-]{1,100}")
STATE = re.compile(r"[A-Za-z0-9_\-]{1,64}")  # what secrets.token_urlsafe gives
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
BINDING = "stepline_join"  # the cookie binding a login's state to the browser that began it


@asynccontextmanager
async def _lifespan(app: FastAPI):
    """One HTTP client (one connection pool) per app for LINE Login's token and verify calls."""
    app.state.line_login_http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0))
    try:
        yield
    finally:
        await app.state.line_login_http.aclose()


router = APIRouter(tags=["join"], lifespan=_lifespan)


def _callback_url(settings: Settings) -> str:
    return f"{settings.public_base}/join/callback"


def _login_client(request: Request, settings: Settings) -> LineLoginClient:
    missing = settings.missing_line_login()
    if missing:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail=f"route links need LINE Login: {', '.join(missing)} not set",
        )
    return LineLoginClient.from_settings(settings, request.app.state.line_login_http)


def _page(status_code: int, title: str, message: str) -> HTMLResponse:
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="stylesheet" href="/static/dashboard/join.css"></head>
<body><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p></body></html>
"""
    return HTMLResponse(body, status_code=status_code, headers=NO_STORE)


def _binding(settings: Settings, state: str) -> str:
    key = settings.line_login_channel_secret
    secret = key.get_secret_value().encode() if key else b""
    digest = hmac.new(secret, b"stepline-join:" + state.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _bound(request: Request, settings: Settings, state: str) -> bool:
    given = request.cookies.get(BINDING, "")
    return hmac.compare_digest(given.encode(), _binding(settings, state).encode())


def _expired() -> HTMLResponse:
    return _page(
        400,
        "This link has expired",
        "This link has expired or was already used — open the route link again.",
    )


@router.get("/join/callback", include_in_schema=False)
async def join_callback(
    request: Request,
    services: ServicesDep,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
    error_description: str | None = None,
    friendship_status_changed: str | None = None,
) -> Response:
    """Where LINE Login sends the friend back: `code` + `state`, or `error` + `state`."""
    settings = services.settings
    client = _login_client(request, settings)
    if not state or not STATE.fullmatch(state):
        return _expired()
    async with services.db.session() as session:
        join = await joins.pending(session, state=state)
    if join is None or not _bound(request, settings, state):
        return _expired()
    if error:
        log.info(
            "LINE Login for route %r ended with %r: %r",
            join.route,
            error[:100],
            (error_description or "")[:200],
        )
        return _page(
            400,
            "Not connected",
            "LINE Login did not complete (it was cancelled or refused) — "
            "open the route link again to connect.",
        )
    if not code:
        return _page(400, "Not connected", "LINE Login sent no code — open the route link again.")

    try:
        identity = await client.login(
            code=code, redirect_uri=_callback_url(settings), nonce=join.nonce
        )
    except LoginRejected as exc:
        log.warning("LINE Login refused route %r: %s", join.route, exc)
        return _page(
            400, "Not connected", "LINE Login could not confirm you — open the route link again."
        )
    except LoginUnavailable as exc:
        log.warning("LINE Login unavailable for route %r: %s", join.route, exc)
        return _page(
            502, "LINE is not answering", "LINE could not be reached — please try again shortly."
        )

    async with services.db.session() as session:
        friend = await joins.complete(session, state=state, user_id=identity.user_id, commit=False)
        if friend is not None:  # route-limited follow scenarios may take the friend now
            await friends.changed(session, [identity.user_id], reason="route")
    if friend is None:  # used by a concurrent callback with the same state
        return _expired()
    log.info(
        "route %r recorded for %s (friendship changed: %s)",
        join.route,
        identity.user_id,
        friendship_status_changed,
    )
    if settings.friend_url is not None:
        return RedirectResponse(str(settings.friend_url), status_code=302, headers=NO_STORE)
    return _page(200, "Thank you", "Thank you — you are connected.")


@router.get("/join/{route}", include_in_schema=False)
async def join_route(route: str, request: Request, services: ServicesDep) -> Response:
    """A route link: remember the route, then off to LINE Login (and adding the account)."""
    client = _login_client(request, services.settings)
    opened = services.joins_opened
    opened.check(request, "too many route links opened from this address: try again shortly")
    opened.record(client_of(request))
    async with services.db.session() as session:
        known = ROUTE.fullmatch(route) is not None and await joins.route_known(session, route=route)
        if not known:
            return _page(404, "No such link", "This link is not in use — check the address.")
        join = await joins.start(session, route=route)
    location = client.authorize_url(
        redirect_uri=_callback_url(services.settings), state=join.state, nonce=join.nonce
    )
    answer = RedirectResponse(location, status_code=302, headers=NO_STORE)
    answer.set_cookie(  # Lax: sent when LINE Login sends the browser back (a top-level GET)
        BINDING,
        _binding(services.settings, join.state),
        max_age=int(joins.JOIN_LIFETIME.total_seconds()),
        path="/join",
        httponly=True,
        samesite="lax",
        secure=services.settings.public_base.startswith("https:"),
    )
    return answer
