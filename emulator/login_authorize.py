"""The LINE Login authorize request: its parameters checked the way LINE checks them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from emulator.state import EmulatorState

SCOPES = frozenset({"openid", "profile", "email"})
BOT_PROMPTS = frozenset({"normal", "aggressive"})


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
        return with_query(self.redirect_uri, query)


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


def with_query(url: str, query: dict[str, str]) -> str:
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
