"""An outbox row held while work on it outlasts its lease: a bulk operation's step (up to 500
calls to Temporal) keeps its row from other dispatchers as long as it runs, while a holder that
died lets it go one short lease later (triggers/dispatch.py). And the dispatcher's loops let go
of at its stop: a round under way finishes first, cancelled only if it takes too long."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta

from store import outbox
from store.db import Database

log = logging.getLogger("stepline.dispatch")
RENEW_EVERY = 5.0  # seconds between two extensions: well inside any lease given


@asynccontextmanager
async def holding(db: Database, seq: int, *, owner: str, lease: timedelta) -> AsyncIterator[None]:
    """The row's lease extended to `lease` from now, every RENEW_EVERY, while the block runs."""

    async def renew() -> None:
        while True:
            await asyncio.sleep(RENEW_EVERY)
            try:
                async with db.session() as session:
                    await outbox.extend(session, seq, owner=owner, lease=lease)
                    await session.commit()
            except Exception as exc:  # the database away: the step's own writes will say
                log.warning("could not extend the lease of outbox row %d: %s", seq, exc)

    renewing = asyncio.create_task(renew())
    try:
        yield
    finally:
        renewing.cancel()
        with suppress(asyncio.CancelledError):
            await renewing


async def ended(tasks: list[asyncio.Task], timeout: float) -> None:
    """Wait up to `timeout` for the tasks (told to stop) to end; cancel those still running,
    and wait as long again; the ones that do not end even then are left, named in the log."""
    if not tasks:
        return
    _done, late = await asyncio.wait(tasks, timeout=timeout)
    for task in late:
        task.cancel()
    if late:
        _done, stuck = await asyncio.wait(late, timeout=timeout)
        for task in stuck:
            log.warning("dispatcher task did not stop within %.0fs: %r", 2 * timeout, task)
