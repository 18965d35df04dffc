"""Form posts of the dashboard carry the session's token (`csrf_token`, a hidden field `csrf`
in every form; `X-CSRF-Token` for a script's fetch): a page of another site cannot know it,
so it cannot make a signed-in browser change anything — on top of core/browser_guard.py's
refusal of cross-site writes. A request with the admin bearer header needs no token (no
browser sends that header by itself)."""

import hmac

from fastapi import Request

from api.dashboard.i18n import N_
from api.dashboard.web import PageError, csrf_token

FIELD = "csrf"
HEADER = "x-csrf-token"
REFUSED = N_(
    "This form has expired or did not come from the dashboard: reload the page and try again."
)


async def require_form_token(request: Request) -> None:
    """The dependency of every dashboard route that changes something."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and given:
        return  # checked as the admin API's bearer by require_viewer
    expected = csrf_token(request)
    sent = request.headers.get(HEADER)
    if sent is None and "form" in request.headers.get("content-type", ""):
        form = await request.form()
        value = form.get(FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(sent, expected):
        raise PageError(403, REFUSED, FIELD)
