"""LINE Login v2.1, the web-app flow (authorization code + OpenID Connect): the authorize URL
with `bot_prompt=aggressive` (LINE's documented way to offer adding the Official Account as a
friend while logging in), the code exchange and the ID token check by LINE's verify endpoint.

https://developers.line.biz/en/docs/line-login/integrate-line-login/
https://developers.line.biz/en/reference/line-login/
"""

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from core.config import Settings

USER_ID = re.compile(r"U[0-9a-f]{32}")


class LoginError(Exception):
    def __init__(self, error: str, description: str = "", status: int | None = None):
        super().__init__(f"{error}: {description}" if description else error)
        self.error, self.description, self.status = error, description, status


class LoginRejected(LoginError):
    """LINE answered 4xx (`{"error", "error_description"}`): this login cannot go on."""


class LoginUnavailable(LoginError):
    """LINE could not be reached, answered 5xx, or answered something that is not LINE's."""


@dataclass(frozen=True)
class LoginIdentity:
    user_id: str  # the ID token's `sub`: the LINE user ID (same as the Messaging API's)
    name: str | None
    picture: str | None
    claims: dict[str, Any]


class LineLoginClient:
    def __init__(
        self,
        *,
        channel_id: str,
        channel_secret: str,
        login_base: str,
        api_base: str,
        http: httpx.AsyncClient,
    ):
        self.channel_id, self._secret = channel_id, channel_secret
        self.login_base, self.api_base = login_base.rstrip("/"), api_base.rstrip("/")
        self.http = http

    @classmethod
    def from_settings(cls, settings: Settings, http: httpx.AsyncClient) -> "LineLoginClient":
        """Raises ValueError naming the variables when LINE Login is not configured."""
        if missing := settings.missing_line_login():
            raise ValueError(", ".join(missing))
        assert settings.line_login_channel_id and settings.line_login_channel_secret
        return cls(
            channel_id=settings.line_login_channel_id.strip(),
            channel_secret=settings.line_login_channel_secret.get_secret_value(),
            login_base=settings.line_login_base,
            api_base=settings.line_api_base,
            http=http,
        )

    def __repr__(self) -> str:  # never the secret
        return f"LineLoginClient(channel_id={self.channel_id!r}, api_base={self.api_base!r})"

    def authorize_url(self, *, redirect_uri: str, state: str, nonce: str) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.channel_id,
                "redirect_uri": redirect_uri,
                "state": state,
                "scope": "openid profile",
                "nonce": nonce,
                "bot_prompt": "aggressive",
            },
            quote_via=quote,  # spaces as %20, as LINE's examples write the scope
        )
        return f"{self.login_base}/oauth2/v2.1/authorize?{query}"

    async def _post(self, path: str, form: dict[str, str]) -> dict[str, Any]:
        url = f"{self.api_base}{path}"
        try:
            response = await self.http.post(url, data=form)
        except httpx.HTTPError as exc:
            raise LoginUnavailable(
                "unreachable", f"{type(exc).__name__}: {exc}".rstrip(": ")
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            body = None
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise LoginUnavailable(
                "server_error", f"{path} answered {response.status_code}", response.status_code
            )
        if response.status_code >= 400:
            error = str((body or {}).get("error") or f"http_{response.status_code}")
            description = str((body or {}).get("error_description") or "")
            raise LoginRejected(error, description, response.status_code)
        if body is None:
            raise LoginUnavailable(
                "malformed", f"{path} answered {response.status_code} without a JSON object"
            )
        return body

    async def exchange_code(self, *, code: str, redirect_uri: str) -> str:
        """The ID token issued for this authorization code."""
        body = await self._post(
            "/oauth2/v2.1/token",
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": self.channel_id,
                "client_secret": self._secret,
            },
        )
        id_token = body.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            # no `openid` scope granted: LINE leaves the ID token out
            raise LoginRejected("no_id_token", "LINE issued no ID token (scope without openid?)")
        return id_token

    async def verify_id_token(self, *, id_token: str, nonce: str) -> LoginIdentity:
        claims = await self._post(
            "/oauth2/v2.1/verify",
            {"id_token": id_token, "client_id": self.channel_id, "nonce": nonce},
        )
        sub = claims.get("sub")
        if not isinstance(sub, str) or not USER_ID.fullmatch(sub):
            raise LoginUnavailable("malformed", "the verified ID token has no usable `sub`")
        name, picture = claims.get("name"), claims.get("picture")
        return LoginIdentity(
            user_id=sub,
            name=name if isinstance(name, str) else None,
            picture=picture if isinstance(picture, str) else None,
            claims=claims,
        )

    async def login(self, *, code: str, redirect_uri: str, nonce: str) -> LoginIdentity:
        """Code → ID token → verified identity."""
        id_token = await self.exchange_code(code=code, redirect_uri=redirect_uri)
        return await self.verify_id_token(id_token=id_token, nonce=nonce)
