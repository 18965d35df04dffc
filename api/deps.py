"""Typed dependencies for the routes."""

import hmac
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, fields
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from linebot.v3.webhook import WebhookParser
from sqlmodel.ext.asyncio.session import AsyncSession

from api.throttle import Throttle, client_of
from app.roles import Runtime
from core.config import Settings
from store.batches import GroupCommit
from triggers import record


@dataclass
class Services(Runtime):
    """The API's runtime (app/roles.py: store, Temporal, definitions, dispatcher, LINE) and
    what only the API holds."""

    webhook_parser: WebhookParser = field(init=False)
    # webhooks answered at the same time share one transaction (store/batches.py)
    webhook_writer: GroupCommit[list[dict], list[str]] = field(init=False)

    # wrong admin tokens per client (api/throttle.py)
    throttle: Throttle = field(init=False)
    joins_opened: Throttle = field(init=False)  # route links opened per client (join.py)

    @classmethod
    def around(cls, runtime: Runtime) -> "Services":
        return cls(**{f.name: getattr(runtime, f.name) for f in fields(Runtime)})

    def __post_init__(self) -> None:
        secret = self.settings.line_channel_secret
        # the signature is checked over the raw bytes before this parser sees them
        # (api/routes/webhooks.py): once, not twice
        self.webhook_parser = WebhookParser(
            secret.get_secret_value() if secret else "", skip_signature_verification=lambda: True
        )
        self.webhook_writer = GroupCommit(self.db, record.webhooks_acknowledged, name="webhooks")
        self.throttle = Throttle(self.settings.auth_failures_per_minute)
        self.joins_opened = Throttle(JOINS_PER_MINUTE)


async def get_services(request: Request) -> Services:
    """async: a plain function would be run in FastAPI's thread pool, a thread hop for every
    request (measured: 7 % of the API's CPU answering webhooks, bench/)."""
    return request.app.state.services


async def get_session(
    services: Annotated[Services, Depends(get_services)],
) -> AsyncIterator[AsyncSession]:
    async with services.db.session() as session:
        yield session


JOINS_PER_MINUTE = 20  # route links one address may open in a minute (api/routes/join.py)
_bearer = HTTPBearer(auto_error=False, description="STEPLINE_ADMIN_TOKEN")


def admin_token(settings: Settings) -> str:
    """STEPLINE_ADMIN_TOKEN; "" when none is set (an empty token is no token)."""
    return settings.admin_token.get_secret_value() if settings.admin_token else ""


def is_admin_token(settings: Settings, given: str) -> bool:
    """Whether `given` is STEPLINE_ADMIN_TOKEN (never, when none is set), in constant time."""
    expected = admin_token(settings)
    # compare_digest on bytes: constant time whatever the token holds
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def bearer_is_admin(services: Services, request: Request, given: str) -> bool:
    """Whether a bearer token given is the admin token; wrong ones count against the client
    (429 once it has tried too many: api/throttle.py)."""
    services.throttle.check(request)
    client = client_of(request)
    if is_admin_token(services.settings, given):
        services.throttle.clear(client)
        return True
    if given and admin_token(services.settings):
        services.throttle.record(client)
    return False


async def require_admin(  # async: no thread hop (see get_services)
    request: Request,
    services: Annotated[Services, Depends(get_services)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    given = credentials.credentials if credentials else ""
    if not bearer_is_admin(services, request, given):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="missing or wrong bearer token"
            if admin_token(services.settings)
            else "admin API disabled: STEPLINE_ADMIN_TOKEN is not set",
            headers={"WWW-Authenticate": "Bearer"},
        )


ServicesDep = Annotated[Services, Depends(get_services)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
Admin = [Depends(require_admin)]
