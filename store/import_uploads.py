"""A dashboard CSV import's file kept between its dry run and the operator's confirmation (the
browser cannot send a chosen file twice): a row under a random id, in the database every API
replica shares, so the confirmation may reach another replica than the upload did. Kept for
an hour (`KEPT`); once imported, its result in place of its bytes, for another hour. Expired
rows are deleted when a new upload is kept, and read as gone before then.

Confirming claims the row first (`claim`: one conditional UPDATE, so of two replicas
confirming at once one imports and the other finds it claimed). A claim that is never
finished (the process stopped midway) lapses after `LEASE`; merging again is idempotent."""

import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary, or_
from sqlmodel import Field, SQLModel, col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from store.columns import UTCDateTime, json_column, moment, now
from store.types import utcnow

KEPT = timedelta(hours=1)
LEASE = timedelta(minutes=10)  # a 20 MiB file merges in about a minute (docs/PERFORMANCE.md)
UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
MAX_BY = 80

__all__ = [
    "KEPT",
    "LEASE",
    "ImportUpload",
    "claim",
    "data_of",
    "imported",
    "keep",
    "kept",
    "release",
]


class ImportUpload(SQLModel, table=True):
    """One uploaded CSV file: its bytes until imported, what its dry run found, its result."""

    id: str = Field(primary_key=True, max_length=32)  # 128 random bits, in the page's URL
    data: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    facts: dict = json_column()  # the dry run: name, imported, created, updated, attributes
    result: Any = Field(default=None, sa_column=Column(JSON, nullable=True))  # once imported
    uploaded_by: str = Field(max_length=MAX_BY)
    created_at: datetime = now()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    claimed_by: str | None = Field(default=None, max_length=MAX_BY)
    claimed_at: datetime | None = moment()  # a confirmation importing it (or that did)
    imported_at: datetime | None = moment()


def _is_id(upload_id: str) -> bool:
    return bool(UPLOAD_ID.match(upload_id))


async def keep(
    session: AsyncSession,
    data: bytes,
    facts: dict[str, Any],
    *,
    by: str,
    at: datetime | None = None,
) -> str:
    """The file kept with what its dry run found (expired uploads deleted first); its id."""
    at = at or utcnow()
    await session.exec(delete(ImportUpload).where(col(ImportUpload.expires_at) <= at))
    upload_id = secrets.token_hex(16)
    session.add(
        ImportUpload(
            id=upload_id,
            data=data,
            facts=facts,
            uploaded_by=by[:MAX_BY],
            created_at=at,
            expires_at=at + KEPT,
        )
    )
    await session.commit()
    return upload_id


async def kept(
    session: AsyncSession, upload_id: str, *, at: datetime | None = None
) -> dict[str, Any] | None:
    """What the dry run found and, once imported, `result` (its bytes are not read); None
    for an unknown or expired upload."""
    if not _is_id(upload_id):
        return None
    statement = select(ImportUpload.facts, ImportUpload.result, ImportUpload.imported_at).where(
        col(ImportUpload.id) == upload_id, col(ImportUpload.expires_at) > (at or utcnow())
    )
    row = (await session.exec(statement)).first()
    if row is None:
        return None
    facts, result, imported_at = row
    return dict(facts) | ({"result": result} if imported_at is not None else {})


async def claim(
    session: AsyncSession, upload_id: str, *, by: str, at: datetime | None = None
) -> bool:
    """Whether this confirmation may import the upload: it is kept, not imported, and no
    other confirmation holds it (or its claim lapsed). One UPDATE, committed: of two at once,
    one claims it (PostgreSQL re-checks the row the other changed; SQLite writes in turn)."""
    if not _is_id(upload_id):
        return False
    at = at or utcnow()
    claimed = await session.exec(
        update(ImportUpload)
        .where(
            col(ImportUpload.id) == upload_id,
            col(ImportUpload.expires_at) > at,
            col(ImportUpload.imported_at).is_(None),
            or_(col(ImportUpload.claimed_at).is_(None), col(ImportUpload.claimed_at) <= at - LEASE),
        )
        .values(claimed_by=by[:MAX_BY], claimed_at=at, expires_at=at + KEPT)
    )
    await session.commit()
    return claimed.rowcount == 1


async def data_of(session: AsyncSession, upload_id: str) -> bytes | None:
    """The kept file's bytes; None once imported (or unknown)."""
    if not _is_id(upload_id):
        return None
    statement = select(ImportUpload.data).where(col(ImportUpload.id) == upload_id)
    return (await session.exec(statement)).first()


async def imported(
    session: AsyncSession, upload_id: str, result: dict[str, Any], *, at: datetime | None = None
) -> None:
    """The import's result kept in place of its file, for another `KEPT`."""
    at = at or utcnow()
    await session.exec(
        update(ImportUpload)
        .where(col(ImportUpload.id) == upload_id)
        .values(result=result, data=None, imported_at=at, expires_at=at + KEPT)
    )
    await session.commit()


async def release(session: AsyncSession, upload_id: str) -> None:
    """A claim given up (the import failed or was cancelled): another confirmation may try."""
    await session.exec(
        update(ImportUpload)
        .where(col(ImportUpload.id) == upload_id, col(ImportUpload.imported_at).is_(None))
        .values(claimed_by=None, claimed_at=None)
    )
    await session.commit()
