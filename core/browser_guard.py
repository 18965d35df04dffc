"""What every HTTP answer of stepline's shares against a browser being turned on its user (the
API with its dashboard, and the LINE emulator): security headers, and a same-origin check on
every request a browser could be made to send from another site (docs/SECURITY.md).

* Headers, unless the answer set its own: a Content-Security-Policy (own scripts and styles
  only, `frame-ancestors 'none'`; the API docs' pages also their inline ones),
  `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`
  and `Cache-Control: no-store` (pages and answers show personal data; static assets under the
  given prefixes may be cached).
* A POST, PUT, PATCH or DELETE is refused with 403 when the browser says another site sent
  it: `Sec-Fetch-Site` other than `same-origin` / `none`, or else an `Origin` that is not this
  host (no page of another site has a reason to change anything here: there is no CORS).
  Without either header it is not a browser's (curl, LINE's webhook, the CLI) and goes
  through: such a client cannot be made to carry someone's cookie.
"""

import json
from collections.abc import Iterable
from urllib.parse import urlsplit

CSP = (
    "default-src 'self'; img-src 'self' data: https:; style-src 'self';"
    " style-src-attr 'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'none';"
    " form-action 'self'; frame-ancestors 'none'"
)
# the LINE emulator plays LINE's own pages: its login form sends the browser on to the web
# app's callback (another origin), and its pages carry their styles inline
EMULATOR_CSP = (
    "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline';"
    " script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
# /docs and /redoc (api/docs_pages.py): FastAPI's pages start Swagger UI and ReDoc with an inline
# script, ReDoc's styles are injected and its search runs in a blob: worker; every asset is
# stepline's own, so nothing from another origin is allowed (not even ReDoc's remote logo)
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline';"
    " script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; object-src 'none';"
    " base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SAME_SITE = frozenset({b"same-origin", b"none"})
REFUSED = json.dumps({"detail": "cross-site request refused"}).encode()


class BrowserGuard:
    def __init__(
        self,
        app,
        *,
        cacheable: Iterable[str] = (),
        docs: Iterable[str] = (),
        csp: str = CSP,
    ) -> None:
        self.app = app
        self.csp = csp
        self.cacheable = tuple(cacheable)
        self.docs = tuple(docs)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if scope["method"] in UNSAFE and _from_another_site(headers):
            await _refuse(send)
            return
        path: str = scope.get("path", "")
        extra = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (
                b"content-security-policy",
                (DOCS_CSP if path.startswith(self.docs) else self.csp).encode(),
            ),
        ]
        if not path.startswith(self.cacheable):
            extra.append((b"cache-control", b"no-store"))

        async def guarded(message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                added = [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        await self.app(scope, receive, guarded)


def _from_another_site(headers: dict[bytes, bytes]) -> bool:
    fetch_site = headers.get(b"sec-fetch-site")
    if fetch_site is not None:
        return fetch_site.lower() not in SAME_SITE
    origin = headers.get(b"origin")
    if origin is None:
        return False  # not a browser
    host = headers.get(b"host", b"").decode("latin-1").lower()
    return urlsplit(origin.decode("latin-1")).netloc.lower() != host or not host


async def _refuse(send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(REFUSED)).encode()),
                (b"cache-control", b"no-store"),
                (b"x-content-type-options", b"nosniff"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": REFUSED})
