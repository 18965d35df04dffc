"""The language switch in the nav (the login form's too): a form POST — so refused from
another site like every other write (core/browser_guard.py) — that remembers the language in
a cookie and goes back to the page it came from. No session needed: the login form has one."""

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Response
from fastapi.responses import RedirectResponse

from api.dashboard import i18n
from api.dashboard.auth import safe_next
from api.dashboard.i18n import N_
from api.dashboard.web import PageError, PageRoute
from api.deps import ServicesDep

router = APIRouter(route_class=PageRoute)
LOGIN = "/login"


def back_to(value: str | None) -> str:
    """Where the switch goes back to: a path of this site by auth.safe_next's rules, the login
    form (and its own `next`) included."""
    parts = urlsplit(value or "")
    if value and value.startswith(LOGIN) and parts.path == LOGIN:
        rest = value[len(LOGIN) :]
        return LOGIN + rest if safe_next("/_" + rest) != "/" else LOGIN
    return safe_next(value)


@router.post("/language")
async def switch_language(
    services: ServicesDep,
    lang: Annotated[str, Form(max_length=20)] = "",
    next_: Annotated[str, Form(alias="next", max_length=10_000)] = "/",
) -> Response:
    """Remember `lang` (ja, en) in the `stepline_lang` cookie and go back to `next`."""
    if lang not in i18n.SUPPORTED:
        raise PageError(
            422, N_("must be one of %(languages)s"), "lang", languages=", ".join(i18n.SUPPORTED)
        )
    answer = RedirectResponse(back_to(next_), status_code=303)
    answer.set_cookie(
        i18n.COOKIE,
        lang,
        max_age=i18n.COOKIE_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=str(services.settings.public_url).startswith("https:"),
    )
    return answer
