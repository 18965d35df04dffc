"""Signing in to the dashboard: a browser cannot send the admin API's bearer header, so the login
form takes the admin token once and opens a server-side session (store/sessions.py) whose
random id the cookie holds. Logging out deletes it; changing STEPLINE_ADMIN_TOKEN ends every
session. Wrong tokens are throttled per client (api/throttle.py). A request with the bearer
header is let in too, as the admin API would."""

import math
from datetime import timedelta
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from api.dashboard.i18n import N_, translations
from api.dashboard.web import SESSION_COOKIE, LoginRequired, PageRoute, render
from api.deps import ServicesDep, admin_token, bearer_is_admin, is_admin_token
from api.throttle import client_of
from core.config import Settings
from store import sessions

COOKIE = SESSION_COOKIE
SESSION_SECONDS = 12 * 3600
MAX_NEXT = 2000  # a longer `next` is not one of the dashboard's own URLs
DISABLED = N_("The dashboard is disabled: STEPLINE_ADMIN_TOKEN is not set.")
WRONG = N_("That is not the admin token (STEPLINE_ADMIN_TOKEN).")
THROTTLED = N_("Too many wrong tokens from this address: try again in %(seconds)s s.")

router = APIRouter(route_class=PageRoute)


async def signed_in(request: Request) -> bool:
    services = request.app.state.services
    token = admin_token(services.settings)
    if not token:
        return False
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and given:
        return bearer_is_admin(services, request, given)
    cookie = request.cookies.get(COOKIE, "")
    if not cookie:
        return False
    async with services.db.reading() as session:
        return await sessions.is_open(session, cookie=cookie, token=token)


async def require_viewer(request: Request) -> None:
    """The dependency of every page: signed in, or redirected to the login form."""
    if not await signed_in(request):
        raise LoginRequired


def _secure(settings: Settings) -> bool:
    """A Secure cookie when the API is reached over https (STEPLINE_PUBLIC_URL)."""
    return str(settings.public_url).startswith("https:")


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of this site only (no open redirect)."""
    if (
        not value
        or len(value) > MAX_NEXT
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
    ):
        return "/"
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path in ("/login", "/logout"):
        return "/"
    return value


def _form(request: Request, next_: str, *, message: str | None, status: int, **params) -> Response:
    enabled = bool(admin_token(request.app.state.services.settings))
    said = message if enabled else DISABLED
    if said:  # in the page's language
        said = translations(request).gettext(said) % params
    context = {"next": safe_next(next_), "message": said}
    return render(request, "login.html", context | {"enabled": enabled}, status)


@router.get("/login")
async def login_form(
    request: Request, next_: Annotated[str, Query(alias="next")] = "/"
) -> Response:
    """The form asking for the admin token."""
    enabled = bool(admin_token(request.app.state.services.settings))
    return _form(request, next_, message=None, status=200 if enabled else 401)


@router.post("/login")
async def login(
    request: Request,
    services: ServicesDep,
    token: Annotated[str, Form(max_length=10_000)] = "",
    next_: Annotated[str, Form(alias="next")] = "/",
) -> Response:
    """Check the admin token (constant time), open a session and set its cookie."""
    client = client_of(request)
    wait = services.throttle.wait(client)
    if wait > 0:
        seconds = math.ceil(wait)
        answer = _form(request, next_, message=THROTTLED, status=429, seconds=seconds)
        answer.headers["Retry-After"] = str(seconds)
        return answer
    if not is_admin_token(services.settings, token):
        if admin_token(services.settings):
            services.throttle.record(client)
        return _form(request, next_, message=WRONG, status=401)
    services.throttle.clear(client)
    async with services.db.session() as session:
        cookie = await sessions.open_session(
            session,
            token=admin_token(services.settings),
            lifetime=timedelta(seconds=SESSION_SECONDS),
        )
    answer = RedirectResponse(safe_next(next_), status_code=303)
    answer.set_cookie(
        COOKIE,
        cookie,
        max_age=SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="strict",
        secure=_secure(services.settings),
    )
    return answer


@router.post("/logout")
async def logout(request: Request, services: ServicesDep) -> Response:
    """End the session (the old cookie opens nothing any more) and forget its cookie."""
    async with services.db.session() as session:
        await sessions.close_session(session, cookie=request.cookies.get(COOKIE, ""))
    answer = RedirectResponse("/login", status_code=303)
    answer.delete_cookie(
        COOKIE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=_secure(services.settings),
    )
    return answer
