"""Signing in to the dashboard: a browser cannot send the admin API's bearer header, so the login
form takes the admin token once and sets a session cookie holding an HMAC keyed by the token
(never the token itself) with its expiry. Changing STEPLINE_ADMIN_TOKEN ends every session.
A request with the bearer header is let in too, as the admin API would."""

import hashlib
import hmac
import time
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from api.dashboard.web import LoginRequired, PageRoute, render
from api.deps import ServicesDep, admin_token, is_admin_token
from core.config import Settings

COOKIE = "stepline_dashboard"
SESSION_SECONDS = 12 * 3600
MAX_NEXT = 2000  # a longer `next` is not one of the dashboard's own URLs
DISABLED = "The dashboard is disabled: STEPLINE_ADMIN_TOKEN is not set."
WRONG = "That is not the admin token (STEPLINE_ADMIN_TOKEN)."

router = APIRouter(route_class=PageRoute)


def _signature(token: str, expires: int) -> str:
    message = f"stepline-dashboard:{expires}".encode()
    return hmac.new(token.encode(), message, hashlib.sha256).hexdigest()


def session_value(token: str, now: float | None = None) -> str:
    expires = int(now if now is not None else time.time()) + SESSION_SECONDS
    return f"{expires}.{_signature(token, expires)}"


def _valid_session(token: str, value: str) -> bool:
    expires, _, signature = value.partition(".")
    if not expires.isdigit() or len(expires) > 12:
        return False
    left = int(expires) - time.time()
    if not 0 < left <= SESSION_SECONDS:
        return False
    return hmac.compare_digest(signature.encode(), _signature(token, int(expires)).encode())


def signed_in(request: Request) -> bool:
    token = admin_token(request.app.state.services.settings)
    if not token:
        return False
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and given:
        return is_admin_token(request.app.state.services.settings, given)
    return _valid_session(token, request.cookies.get(COOKIE, ""))


def require_viewer(request: Request) -> None:
    """The dependency of every page: signed in, or redirected to the login form."""
    if not signed_in(request):
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


def _form(request: Request, next_: str, *, message: str | None, status: int) -> Response:
    enabled = bool(admin_token(request.app.state.services.settings))
    context = {"next": safe_next(next_), "message": message if enabled else DISABLED}
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
    """Check the admin token (constant time) and set the session cookie."""
    if not is_admin_token(services.settings, token):
        return _form(request, next_, message=WRONG, status=401)
    expected = admin_token(services.settings)
    answer = RedirectResponse(safe_next(next_), status_code=303)
    answer.set_cookie(
        COOKIE,
        session_value(expected),
        max_age=SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="strict",
        secure=_secure(services.settings),
    )
    return answer


@router.post("/logout")
async def logout(services: ServicesDep) -> Response:
    """Forget the session cookie."""
    answer = RedirectResponse("/login", status_code=303)
    answer.delete_cookie(
        COOKIE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=_secure(services.settings),
    )
    return answer
