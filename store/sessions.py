"""Dashboard sessions, kept server-side: the browser's cookie holds a random id, the table its
digest (a stolen database opens no session). Logging out deletes the row, so the old cookie
opens nothing; each row names the admin token it was opened with (an HMAC of it), so changing
STEPLINE_ADMIN_TOKEN ends every session at once."""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlmodel import Field, SQLModel, col, delete
from sqlmodel.ext.asyncio.session import AsyncSession

from store.columns import UTCDateTime, now
from store.types import utcnow

ID_BYTES = 32
MAX_COOKIE = 100  # a longer cookie is not one of ours


class DashboardSession(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)  # sha256 of the cookie's id
    token_mac: str = Field(max_length=64)  # HMAC of the admin token it was opened with
    created_at: datetime = now()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)


def _digest(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


def token_mac(token: str) -> str:
    return hmac.new(token.encode(), b"stepline-dashboard-session", hashlib.sha256).hexdigest()


async def open_session(session: AsyncSession, *, token: str, lifetime: timedelta) -> str:
    """A new session (expired ones are swept); returns the cookie's value."""
    cookie = secrets.token_urlsafe(ID_BYTES)
    await session.exec(delete(DashboardSession).where(col(DashboardSession.expires_at) <= utcnow()))
    session.add(
        DashboardSession(
            id=_digest(cookie), token_mac=token_mac(token), expires_at=utcnow() + lifetime
        )
    )
    await session.commit()
    return cookie


async def is_open(session: AsyncSession, *, cookie: str, token: str) -> bool:
    if not cookie or len(cookie) > MAX_COOKIE:
        return False
    row = await session.get(DashboardSession, _digest(cookie))
    return (
        row is not None
        and row.expires_at > utcnow()
        and hmac.compare_digest(row.token_mac, token_mac(token))
    )


async def close_session(session: AsyncSession, *, cookie: str) -> None:
    if cookie and len(cookie) <= MAX_COOKIE:
        await session.exec(
            delete(DashboardSession).where(col(DashboardSession.id) == _digest(cookie))
        )
        await session.commit()
