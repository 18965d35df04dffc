"""A CSV import of friends' attributes, merged once checked (store/imports.py parses and
checks; a file with any problem writes nothing): a chunk of friends a transaction, each with
what it means for journeys, for the admin API's `POST /friends/import` and the dashboard."""

import asyncio

from sqlmodel.ext.asyncio.session import AsyncSession

from store import imports, operations
from store.db import Database
from store.pipeline_tables import Operation
from triggers import record

CHUNK = 2000  # friends merged a transaction: a webhook waits for one chunk at most


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
