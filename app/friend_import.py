"""A CSV import of friends' attributes, merged once checked (store/imports.py parses and
checks; a file with any problem writes nothing): a chunk of friends a transaction, each with
what it means for journeys, for the admin API's `POST /friends/import` and the dashboard.
The dashboard keeps a file between its dry run and the operator's confirmation in the database
(store/import_uploads.py), so that any API replica may confirm it, and only one imports it."""

import asyncio
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from store import import_uploads, imports, operations
from store.db import Database
from store.pipeline_tables import Operation
from triggers import record

CHUNK = 2000  # friends merged a transaction: a webhook waits for one chunk at most
WAIT_SECONDS = 120.0  # a confirmation that finds another importing waits this long for it
POLL_SECONDS = 0.5


async def parse(data: bytes) -> imports.ParsedImport:
    """Every row checked (ImportInvalid lists each problem with its line); parsing 20 MiB
    takes a moment: off the event loop, which serves webhooks meanwhile."""
    return await asyncio.to_thread(imports.parse, data)


async def dry_run(session: AsyncSession, parsed: imports.ParsedImport) -> imports.ImportResult:
    """What importing would do (rows, friends created, friends updated); nothing written."""
    return await imports.import_attributes(session, parsed, dry_run=True)


async def merge_in_chunks(
    db: Database, parsed: imports.ParsedImport
) -> tuple[imports.ImportResult, Operation | None]:
    """The rows merged CHUNK friends a transaction, each with what it means for journeys
    (triggers.record), so that a webhook waits a fraction of a second at most. The first
    chunk that changes anything opens the operation that follows them all; friends whose data
    did not change count as done at once. Should the process stop midway, what was written
    is whole and acted on, and sending the file again finishes it (merging is idempotent)."""
    user_ids = sorted(parsed.rows)
    total = imports.ImportResult(0, 0, 0, sorted(set(parsed.attributes)))
    operation: Operation | None = None
    for start in range(0, len(user_ids), CHUNK):
        chunk = user_ids[start : start + CHUNK]
        async with db.session() as session:
            done = await imports.import_attributes(session, parsed, commit=False, only=chunk)
            if done.changed:
                opened = operation is None
                operation = record.bulk_change(
                    session, done.changed, reason="import", operation=operation
                )
                if opened:
                    operation.total = len(user_ids) - start  # the friends of this chunk on
            if operation is not None and len(chunk) > len(done.changed):
                await session.flush()
                await operations.count_reached(
                    session, operation.id, len(chunk) - len(done.changed)
                )
            await session.commit()
        total.imported += done.imported
        total.created += done.created
        total.updated += done.updated
    return total, operation


async def keep_upload(db: Database, data: bytes, facts: dict[str, Any], *, by: str) -> str:
    """The checked file kept with what its dry run found, for its confirmation; its id."""
    async with db.session() as session:
        return await import_uploads.keep(session, data, facts, by=by)


async def kept_upload(db: Database, upload_id: str) -> dict[str, Any] | None:
    """What the dry run found and, once imported, `result`; None: unknown or expired."""
    async with db.reading() as session:
        return await import_uploads.kept(session, upload_id)


async def confirm_upload(db: Database, upload_id: str, *, by: str) -> dict[str, Any] | None:
    """The kept file imported once, however many confirmations reach however many replicas:
    the one that claims it imports it; another waits for its result (WAIT_SECONDS at most).
    What kept_upload answers then; ImportInvalid should the kept file not parse."""
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while True:
        async with db.session() as session:
            claimed = await import_uploads.claim(session, upload_id, by=by)
        if claimed:
            try:
                await _import_claimed(db, upload_id)
            except BaseException:  # failed or cancelled: another confirmation may try again
                async with db.session() as session:
                    await import_uploads.release(session, upload_id)
                raise
        upload = await kept_upload(db, upload_id)
        if upload is None or "result" in upload or asyncio.get_running_loop().time() >= deadline:
            return upload
        await asyncio.sleep(POLL_SECONDS)


async def _import_claimed(db: Database, upload_id: str) -> None:
    async with db.reading() as session:
        data = await import_uploads.data_of(session, upload_id)
    if data is None:
        return
    parsed = await parse(data)
    result, operation = await merge_in_chunks(db, parsed)
    done = {
        "imported": result.imported,
        "created": result.created,
        "updated": result.updated,
        "operation": operation.id if operation is not None else None,
    }
    async with db.session() as session:
        await import_uploads.imported(session, upload_id, done)
