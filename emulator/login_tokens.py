"""api.line.me's LINE Login token and ID token verify endpoints."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from emulator.forms import FORM, is_form, read_form
from emulator.id_tokens import decode_id_token, encode_id_token
from emulator.names import display_name
from emulator.state import EmulatorState, LoginCode

router = APIRouter()

ISSUER = "https://access.line.me"
CODE_LIFETIME = 600  # seconds: an authorization code is valid for 10 minutes, once
ACCESS_TOKEN_LIFETIME = 30 * 24 * 3600
ID_TOKEN_LIFETIME = 3600


def _state(request: Request) -> EmulatorState:
    return request.app.state.emulator


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
            user.display_name if user else display_name(grant.user_id, ())
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
    if not is_form(request):
        return oauth_error("invalid_request", f"Content-Type must be {FORM}")
    form = read_form(await request.body())
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
    if not is_form(request):
        return oauth_error("invalid_request", f"Content-Type must be {FORM}")
    form = read_form(await request.body())
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
