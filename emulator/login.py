"""LINE Login v2.1 (web login), as access.line.me and api.line.me document it: the authorize
page, the token endpoint, the ID token verify endpoint; plus `POST /emulator/login`, the user
logging in (and, with `bot_prompt`, adding the Official Account as a friend).

https://developers.line.biz/en/docs/line-login/integrate-line-login/
https://developers.line.biz/en/reference/line-login/

Differences from LINE: one login channel (EmulatorConfig.login_channel_id); no consent screen,
PKCE, refresh grant or access-token endpoints; ID tokens are HS256 (as LINE's for web login).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from emulator.control import follow_user
from emulator.ids import is_user_id
from emulator.state import EmulatorState, LoginCode

router = APIRouter()

ISSUER = "https://access.line.me"
SCOPES = frozenset({"openid", "profile", "email"})
BOT_PROMPTS = frozenset({"normal", "aggressive"})
CODE_LIFETIME = 600  # seconds: an authorization code is valid for 10 minutes, once
ACCESS_TOKEN_LIFETIME = 30 * 24 * 3600
ID_TOKEN_LIFETIME = 3600
FORM = "application/x-www-form-urlencoded"


def _state(request: Request) -> EmulatorState:
    return request.app.state.emulator


# --- ID tokens: HS256 JWTs signed with the login channel secret ----------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_id_token(claims: dict[str, Any], secret: str) -> str:
    header = _b64(json.dumps({"typ": "JWT", "alg": "HS256"}, separators=(",", ":")).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def decode_id_token(token: str, secret: str) -> dict[str, Any] | None:
    """The claims of a well-formed HS256 token with a valid signature, else None."""
    try:
        header_b64, payload_b64, signature_b64 = token.split(".")
        header = json.loads(_unb64(header_b64))
        claims = json.loads(_unb64(payload_b64))
        signature = _unb64(signature_b64)
    except ValueError:
        return None
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        return None
    expected = hmac.new(
        secret.encode(), f"{header_b64}.{payload_b64}".encode(), hashlib.sha256
    ).digest()
    if not hmac.compare_digest(signature, expected) or not isinstance(claims, dict):
        return None
    return claims


# --- the authorization request --------------------------------------------------------------


class PageError(Exception):
    """A request LINE cannot send back to the web app (bad client_id or redirect_uri)."""


@dataclass
class RedirectError(Exception):
    """An error LINE reports to the web app by redirecting to its callback URL."""

    redirect_uri: str
    state: str | None
    error: str
    description: str

    def location(self) -> str:
        query = {"error": self.error, "error_description": self.description}
        if self.state is not None:
            query["state"] = self.state
        return _with_query(self.redirect_uri, query)


@dataclass
class Authorization:
    client_id: str
    redirect_uri: str
    state: str
    scope: str
    nonce: str | None
    bot_prompt: str | None

    def hidden_fields(self) -> dict[str, str]:
        fields = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "state": self.state,
            "scope": self.scope,
        }
        if self.nonce is not None:
            fields["nonce"] = self.nonce
        if self.bot_prompt is not None:
            fields["bot_prompt"] = self.bot_prompt
        return fields


def _with_query(url: str, query: dict[str, str]) -> str:
    return url + ("&" if urlsplit(url).query else "?") + urlencode(query)


def _text(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    return value if isinstance(value, str) else None


def check_authorization(state: EmulatorState, params: dict[str, Any]) -> Authorization:
    """Validate authorize parameters the way LINE does: a bad client_id or redirect_uri is
    shown to the user (PageError); anything else goes back to the callback (RedirectError)."""
    config = state.config
    client_id = _text(params, "client_id")
    if not client_id:
        raise PageError("client_id is required")
    if client_id != config.login_channel_id:
        raise PageError(f"Invalid client_id: {client_id}")
    redirect_uri = _text(params, "redirect_uri")
    if not redirect_uri:
        raise PageError("redirect_uri is required")
    parts = urlsplit(redirect_uri)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        raise PageError("Invalid redirect_uri value: it must be an absolute http(s) URL")
    registered = config.login_callback_urls
    if registered is not None and redirect_uri not in registered:
        raise PageError(
            "Invalid redirect_uri value. Check if it is registered in a LINE developers site."
        )
    state_value = _text(params, "state")

    def refuse(error: str, description: str) -> RedirectError:
        return RedirectError(redirect_uri, state_value, error, description)

    if _text(params, "response_type") != "code":
        raise refuse("unsupported_response_type", "response_type must be code")
    if not state_value:
        raise refuse("invalid_request", "state is required")
    scope = _text(params, "scope") or ""
    scopes = scope.split()
    if not scopes:
        raise refuse("invalid_scope", "scope is required")
    if unknown := [s for s in scopes if s not in SCOPES]:
        raise refuse("invalid_scope", f"unknown scope: {' '.join(unknown)}")
    bot_prompt = _text(params, "bot_prompt")
    if bot_prompt is not None and bot_prompt not in BOT_PROMPTS:
        raise refuse("invalid_request", "bot_prompt must be normal or aggressive")
    return Authorization(
        client_id=client_id,
        redirect_uri=redirect_uri,
        state=state_value,
        scope=" ".join(scopes),
        nonce=_text(params, "nonce"),
        bot_prompt=bot_prompt,
    )


def _error_page(message: str) -> HTMLResponse:
    body = (
        "<!doctype html><html><head><meta charset='utf-8'><title>LINE Login error</title>"
        f"</head><body><h1>400 Bad Request</h1><p>{html.escape(message)}</p></body></html>"
    )
    return HTMLResponse(body, status_code=400)


def _login_page(state: EmulatorState, authorization: Authorization) -> HTMLResponse:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in authorization.hidden_fields().items()
    )
    known = "".join(f'<option value="{html.escape(u)}">' for u in state.users)
    friend_option = (
        '<p><label><input type="checkbox" name="add_friend" value="true" checked> '
        "Add the official account as a friend</label></p>"
        if authorization.bot_prompt
        else ""
    )
    body = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>LINE Login (emulator)</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32em;margin:3em auto}}
input[type=text]{{width:100%;font-family:monospace}}</style></head>
<body><h1>LINE Login (emulator)</h1>
<form method="post" action="/emulator/login">{hidden}
<p><label>Log in as<br><input type="text" name="user_id" list="users" required
  pattern="U[0-9a-f]{{32}}" value="U{secrets.token_hex(16)}"></label></p>
<datalist id="users">{known}</datalist>
{friend_option}
<p><button type="submit">Log in</button>
<button type="submit" name="cancel" value="true" formnovalidate>Cancel</button></p>
</form></body></html>
"""
    return HTMLResponse(body)


@router.get("/oauth2/v2.1/authorize", include_in_schema=False)
async def authorize(request: Request) -> Response:
    state = _state(request)
    state.calls["authorize"] += 1
    try:
        authorization = check_authorization(state, dict(request.query_params))
    except PageError as exc:
        return _error_page(str(exc))
    except RedirectError as exc:
        return RedirectResponse(exc.location(), status_code=302)
    return _login_page(state, authorization)


# --- the user logs in ----------------------------------------------------------------------


def _is_form(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip().lower() == FORM


def _form(raw: bytes) -> dict[str, str]:
    """A urlencoded body, last value of each name (a body that is not UTF-8 reads as empty)."""
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        return {}
    return {key: values[-1] for key, values in parse_qs(text, keep_blank_values=True).items()}


def _flag(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "on", "1", "yes"):
        return True
    if isinstance(value, str) and value.lower() in ("false", "off", "0", "no", ""):
        return False
    return None


@router.post("/emulator/login", tags=["emulator"])
async def login(request: Request) -> Response:
    """The user on the authorize page: JSON (the authorize query parameters + `user_id`,
    `add_friend`, optional `cancel`, `display_name`, `picture_url`, `language`) answers
    `{"location": …}`; the HTML form gets a 302 to the same place.

    `add_friend` counts only when the authorize request had `bot_prompt` (LINE offers the
    friend option only then); `friendship_status_changed` is in the location only then too."""
    state = _state(request)
    state.calls["login"] += 1
    as_form = _is_form(request)
    if as_form:
        params: dict[str, Any] = _form(await request.body())
    else:
        try:
            params = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"detail": "the body must be JSON or a form"}, status_code=422)
        if not isinstance(params, dict):
            return JSONResponse({"detail": "the body must be a JSON object"}, status_code=422)

    def answer(location: str, **extra: Any) -> Response:
        if as_form:
            return RedirectResponse(location, status_code=302)
        return JSONResponse({"location": location, **extra})

    try:
        authorization = check_authorization(state, params)
    except PageError as exc:
        if as_form:
            return _error_page(str(exc))
        return JSONResponse({"detail": str(exc)}, status_code=400)
    except RedirectError as exc:
        return answer(exc.location())

    add_friend = _flag(params.get("add_friend", False))
    cancel = _flag(params.get("cancel", False))
    if add_friend is None or cancel is None:
        return JSONResponse({"detail": "add_friend and cancel must be booleans"}, status_code=422)
    if cancel:
        refused = RedirectError(
            authorization.redirect_uri,
            authorization.state,
            "access_denied",
            "The resource owner denied the request.",
        )
        return answer(refused.location())
    user_id = params.get("user_id")
    if not is_user_id(user_id):
        return JSONResponse(
            {"detail": "user_id must be 'U' followed by 32 lowercase hex characters"},
            status_code=422,
        )
    profile = {
        key: params[key]
        for key in ("display_name", "picture_url", "language")
        if isinstance(params.get(key), str) and params[key]
    }

    followed = None
    query = {"code": secrets.token_urlsafe(16), "state": authorization.state}
    if authorization.bot_prompt is not None:
        before = state.undeliverable_reason(user_id)  # None: already a friend
        if add_friend and before is not None:
            followed = await follow_user(state, user_id, **profile)
        query["friendship_status_changed"] = "true" if followed else "false"
    state.login_codes[query["code"]] = LoginCode(
        code=query["code"],
        client_id=authorization.client_id,
        redirect_uri=authorization.redirect_uri,
        nonce=authorization.nonce,
        scope=authorization.scope,
        user_id=user_id,
        issued_at=state.clock(),
        profile=profile,
    )
    return answer(_with_query(authorization.redirect_uri, query), follow=followed)


# --- api.line.me: token and verify --------------------------------------------------------


def oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def _claims(state: EmulatorState, grant: LoginCode) -> dict[str, Any]:
    now = int(state.clock())
    user = state.users.get(grant.user_id)
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": grant.user_id,
        "aud": grant.client_id,
        "exp": now + ID_TOKEN_LIFETIME,
        "iat": now,
    }
    if grant.nonce is not None:
        claims["nonce"] = grant.nonce
    claims["amr"] = ["pwd"]
    scopes = grant.scope.split()
    if "profile" in scopes:
        name = grant.profile.get("display_name") or (
            user.display_name if user else f"User {grant.user_id[-4:]}"
        )
        claims["name"] = name
        picture = grant.profile.get("picture_url") or (user.picture_url if user else None)
        if picture:
            claims["picture"] = picture
    if "email" in scopes:
        claims["email"] = f"{grant.user_id.lower()}@example.com"
    return claims


@router.post("/oauth2/v2.1/token", include_in_schema=False)
async def issue_token(request: Request) -> JSONResponse:
    state = _state(request)
    state.calls["token"] += 1
    config = state.config
    if not _is_form(request):
        return oauth_error("invalid_request", f"Content-Type must be {FORM}")
    form = _form(await request.body())
    grant_type = form.get("grant_type")
    if not grant_type:
        return oauth_error("invalid_request", "grant_type is required")
    if grant_type != "authorization_code":
        return oauth_error("unsupported_grant_type", f"unsupported grant_type: {grant_type}")
    if form.get("client_id") != config.login_channel_id:
        return oauth_error("invalid_client", "invalid client_id")
    if not hmac.compare_digest(
        form.get("client_secret", "").encode(), config.login_channel_secret.encode()
    ):
        return oauth_error("invalid_client", "invalid client_secret")
    code, redirect_uri = form.get("code"), form.get("redirect_uri")
    if not code or not redirect_uri:
        return oauth_error("invalid_request", "code and redirect_uri are required")
    grant = state.login_codes.get(code)
    if (
        grant is None
        or grant.used
        or grant.client_id != form["client_id"]
        or state.clock() - grant.issued_at >= CODE_LIFETIME
    ):
        return oauth_error("invalid_grant", "invalid authorization code")
    if grant.redirect_uri != redirect_uri:
        return oauth_error("invalid_grant", "redirect_uri does not match")
    grant.used = True
    answer: dict[str, Any] = {
        "access_token": secrets.token_urlsafe(48),
        "expires_in": ACCESS_TOKEN_LIFETIME,
        "refresh_token": secrets.token_urlsafe(24),
        "scope": grant.scope,
        "token_type": "Bearer",
    }
    if "openid" in grant.scope.split():
        answer["id_token"] = encode_id_token(_claims(state, grant), config.login_channel_secret)
    return JSONResponse(answer)


@router.post("/oauth2/v2.1/verify", include_in_schema=False)
async def verify_id_token(request: Request) -> JSONResponse:
    state = _state(request)
    state.calls["verify"] += 1
    if not _is_form(request):
        return oauth_error("invalid_request", f"Content-Type must be {FORM}")
    form = _form(await request.body())
    id_token, client_id = form.get("id_token"), form.get("client_id")
    if not id_token:
        return oauth_error("invalid_request", "id_token is required")
    if not client_id:
        return oauth_error("invalid_request", "client_id is required")
    claims = decode_id_token(id_token, state.config.login_channel_secret)
    if claims is None:
        return oauth_error("invalid_request", "Invalid IdToken.")
    if claims.get("iss") != ISSUER:
        return oauth_error("invalid_request", "Invalid IdToken Issuer.")
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= state.clock():
        return oauth_error("invalid_request", "IdToken expired.")
    if claims.get("aud") != client_id:
        return oauth_error("invalid_request", "Invalid IdToken Audience.")
    nonce = form.get("nonce")
    if nonce is not None and claims.get("nonce") != nonce:
        return oauth_error("invalid_request", "Invalid IdToken Nonce.")
    user_id = form.get("user_id")
    if user_id is not None and claims.get("sub") != user_id:
        return oauth_error("invalid_request", "Invalid IdToken Subject Identifier.")
    return JSONResponse(claims)
