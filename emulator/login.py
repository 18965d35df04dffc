"""LINE Login v2.1 (web login), as access.line.me documents it: the authorize page, and
`POST /emulator/login`, the user logging in (and, with `bot_prompt`, adding the Official
Account as a friend). The token and verify endpoints are in emulator/login_tokens.py.

https://developers.line.biz/en/docs/line-login/integrate-line-login/
https://developers.line.biz/en/reference/line-login/

Differences from LINE: one login channel (EmulatorConfig.login_channel_id); no consent screen,
PKCE, refresh grant or access-token endpoints; ID tokens are HS256 (as LINE's for web login).
"""

from __future__ import annotations

import html
import json
import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from emulator.control import follow_user
from emulator.forms import flag, is_form, read_form
from emulator.ids import is_user_id
from emulator.login_authorize import (
    Authorization,
    PageError,
    RedirectError,
    check_authorization,
    with_query,
)
from emulator.state import EmulatorState, LoginCode

router = APIRouter()


def _state(request: Request) -> EmulatorState:
    return request.app.state.emulator


# --- the authorize page ---------------------------------------------------------------------


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


@router.post("/emulator/login", tags=["emulator"])
async def login(request: Request) -> Response:
    """The user on the authorize page: JSON (the authorize query parameters + `user_id`,
    `add_friend`, optional `cancel`, `display_name`, `picture_url`, `language`) answers
    `{"location": …}`; the HTML form gets a 302 to the same place.

    `add_friend` counts only when the authorize request had `bot_prompt` (LINE offers the
    friend option only then); `friendship_status_changed` is in the location only then too."""
    state = _state(request)
    state.calls["login"] += 1
    as_form = is_form(request)
    if as_form:
        params: dict[str, Any] = read_form(await request.body())
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

    add_friend = flag(params.get("add_friend", False))
    cancel = flag(params.get("cancel", False))
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
    return answer(with_query(authorization.redirect_uri, query), follow=followed)
