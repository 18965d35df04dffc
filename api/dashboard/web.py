"""What every dashboard page shares: the templates, their filters and the nav, and a route
class that answers a page's errors as pages (a 404 or 422 page naming the field, a redirect to
the login form) rather than as the admin API's JSON."""

import asyncio
import hashlib
import hmac
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from api.dashboard import i18n, problem_words
from api.dashboard.i18n import N_
from core.config import Settings
from core.windows import local_moment

HERE = Path(__file__).parent
DEFAULT_ZONE = "Asia/Tokyo"  # Settings.timezone's default, for a page rendered without settings
_page_zone: ContextVar[str] = ContextVar("dashboard_zone", default=DEFAULT_ZONE)
SESSION_COOKIE = "stepline_dashboard"  # the dashboard session's id (api/dashboard/auth.py)
LIVE = "live"  # ?fragment=live: only the part of the page that refreshes itself


class PageError(Exception):
    """An answer as a page: 404 (nothing there), 422 (a bad parameter, named). The message is
    English, marked `N_("… %(name)s …")` and given its `params`: it is translated (then
    formatted) in the page's language."""

    def __init__(self, status: int, message: str, field: str | None = None, **params: Any):
        super().__init__(message % params if params else message)
        self.status, self.message, self.field, self.params = status, message, field, params


class LoginRequired(Exception):
    """No valid session cookie (nor bearer token): off to the login form."""


def _number(value: Any) -> str:
    return "—" if value is None else f"{value:,}"


def _percent(value: Any) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _yen(value: Any) -> str:
    """¥1,234 (whole yen) or ¥8.40."""
    return "—" if value is None else f"¥{value:,.2f}".removesuffix(".00")


def _decimal(value: Any) -> str:
    """A count that need not be whole (incremental conversions): 2 decimals, whole without."""
    return "—" if value is None else f"{value:,.2f}".removesuffix(".00")


def moment_in(value: Any, zone: str) -> str:
    """A stored moment as a person reads it: in `zone`, its zone named (JST, EST…)."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return local_moment(value, zone)


def when(value: Any, zone: str | None = None) -> str:
    """`{{ x | when }}`: in the zone of the page being rendered (a scenario's page, its
    scenario's timezone; elsewhere STEPLINE_TIMEZONE: see `render`), or `{{ x | when(zone) }}`."""
    return moment_in(value, zone or _page_zone.get())


def _p_value(value: Any) -> str:
    if value is None:
        return "—"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def emulator_url(settings: Settings) -> str | None:
    """The LINE emulator's base URL when this API talks to it rather than to LINE."""
    if settings.real_line:
        return None
    return settings.line_api_base


def temporal_link(settings: Settings, workflow_id: str) -> str | None:
    """The workflow's page in the Temporal UI (None: STEPLINE_TEMPORAL_UI_URL is unset)."""
    if settings.temporal_ui_url is None:
        return None
    base = str(settings.temporal_ui_url).rstrip("/")
    namespace = quote(settings.temporal_namespace, safe="")
    return f"{base}/namespaces/{namespace}/workflows/{quote(workflow_id, safe='')}"


def csrf_token(request: Request) -> str:
    """The session's form token (api/dashboard/csrf.py): a digest of the session cookie, which
    another site can neither read nor make; '' without a session."""
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if not cookie:
        return ""
    return hmac.new(cookie.encode(), b"stepline-dashboard-form", hashlib.sha256).hexdigest()


def _nav(request: Request) -> dict[str, Any]:
    services = getattr(request.app.state, "services", None)
    settings: Settings | None = services.settings if services else None
    return {
        "lang": i18n.use(request),
        "languages": i18n.NAMES,
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "emulator": emulator_url(settings) if settings else None,
        "temporal_ui": str(settings.temporal_ui_url).rstrip("/")
        if settings and settings.temporal_ui_url
        else None,
        "path": request.url.path,
        "csrf": csrf_token(request),
    }


environment = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
environment.filters.update(number=_number, percent=_percent, when=when, p_value=_p_value)
environment.filters.update(yen=_yen, decimal=_decimal)
i18n.install(environment)
problem_words.install(environment)
templates = Jinja2Templates(env=environment, context_processors=[_nav])


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    """The page; its times in `context["zone"]` (a scenario's), else the channel's."""
    services = getattr(request.app.state, "services", None)
    channel = services.settings.timezone if services else DEFAULT_ZONE
    token = _page_zone.set(context.get("zone") or channel)
    try:
        answer = templates.TemplateResponse(request, name, context, status_code=status)
    finally:
        _page_zone.reset(token)
    answer.headers["Content-Language"] = i18n.language(request)
    return answer


async def render_off_loop(request: Request, name: str, context: dict[str, Any]) -> Response:
    """`render` in a worker thread: a scenario's or a friend's page (hundreds of steps or
    entries) never holds up the requests of others (webhooks, /healthz) while it renders."""
    return await asyncio.to_thread(render, request, name, context)


def live_url(request: Request) -> str:
    """This page's URL asking for its live part only (the other parameters kept)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "fragment"]
    return f"{request.url.path}?{urlencode([*params, ('fragment', LIVE)])}"


def wants_fragment(fragment: str | None) -> bool:
    if fragment in (None, ""):
        return False
    if fragment != LIVE:
        raise PageError(422, N_("must be %(live)s (or absent)"), "fragment", live=repr(LIVE))
    return True


def login_redirect(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?{urlencode({'next': here})}", status_code=303)


_QUOTED = ("said", "why")  # parameters that quote a service's own message


def error_page(
    request: Request, status: int, message: str, field: str | None, params: dict | None = None
) -> Response:
    """The error page in the request's language (`message` translated, then formatted). A
    service's or a check's own message (English, as the admin API answers it) is translated
    by problem_words, given as the message or as a `said` or `why` parameter."""
    words = i18n.translations(request)
    titles = {403: N_("Not allowed"), 404: N_("Not found"), 422: N_("Invalid parameter")}
    title = titles.get(status) or N_("Error")
    said = words.gettext(message) if params else problem_words.joined(message, words)
    quoted = {k: problem_words.joined(v, words) for k, v in (params or {}).items() if k in _QUOTED}
    params = (params or {}) | quoted
    context = {
        "status": status,
        "title": words.gettext(title),
        "message": said % params if params else said,
    }
    return render(request, "error.html", context | {"field": field}, status)


class PageRoute(APIRoute):
    """A dashboard route: its errors are pages, never the API's JSON (nor a 500)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                return login_redirect(request)
            except PageError as exc:
                return error_page(request, exc.status, exc.message, exc.field, exc.params)
            except RequestValidationError as exc:
                first = exc.errors()[0]
                field = ".".join(str(part) for part in first["loc"][1:]) or str(first["loc"][0])
                message = str(first["msg"]).removeprefix("Value error, ")
                return error_page(request, 422, message, field)

        return page
