"""The dispatcher: the one path from every change the store has accepted to Temporal.

It takes rows from the outbox (store/outbox.py) in order per lane (a friend's changes one
after the other), and
- evaluates changes (a webhook event, an event, a friend's data, a delivery) in one
  transaction that deletes them and writes the commands they call for (triggers/evaluate.py);
- runs commands (start, signal, date schedule: triggers/commands.py), then deletes them;
- moves bulk operations on a step at a time (triggers/bulk.py), in a loop of their own.

Anything that fails is tried again: a row whose command Temporal did not take stays (its lane
waits behind it); while Temporal is away, one command a second probes it, and the rest follow
the moment it answers. Several dispatchers (API and worker processes) may run at once: rows
are leased to one at a time, and acting on one twice changes nothing (workflow ids; signals
carry their row's seq as `change_id`)."""

import logging
import os
import secrets
import socket
from datetime import datetime, timedelta

from core import metrics
from store import operations, outbox
from store.db import Database
from store.outbox_claims import claim_due
from store.pipeline_tables import Outbox
from store.types import utcnow
from triggers.away import TemporalAway
from triggers.bulk import Bulk
from triggers.commands import Commands
from triggers.evaluate import Evaluator, Prepared
from triggers.kinds import BULK, CHANGES, COMMANDS, Kind, OperationStep, parse
from triggers.leases import holding
from triggers.rounds import POLL_EVERY, Rounds

log = logging.getLogger("stepline.dispatch")
BATCH = 200  # rows a round
# a row is another dispatcher's again after this (its holder died): above one call's time
# (Temporal's RPC timeout is 10 s); a bulk step holds its row while it runs (triggers/leases.py)
LEASE = timedelta(seconds=20)
# rounds of commands in flight at once, each of up to COMMANDS_A_ROUND: a round waits for its
# slowest call (a start waits ~1 s on a busy server), the others keep Temporal busy meanwhile
COMMAND_ROUNDS = 4
COMMANDS_A_ROUND = 50


class Dispatcher:
    def __init__(
        self,
        *,
        db: Database,
        evaluator: Evaluator,
        commands: Commands,
        bulk: Bulk,
        batch: int = BATCH,
        poll_every: float = POLL_EVERY,
    ):
        self.db, self.evaluator, self.commands, self.bulk = db, evaluator, commands, bulk
        self.batch = batch
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.away = TemporalAway()
        self.transactions = self.evaluated = 0  # what it has done (tests, bench/)
        self._rounds = Rounds(db, poll_every=poll_every)

    # --- running ---------------------------------------------------------------------------

    async def start(self) -> None:
        self._rounds.start(
            [
                ("dispatch", self.run_changes),
                *[(f"dispatch commands {n + 1}", self.run_commands) for n in range(COMMAND_ROUNDS)],
                ("dispatch bulk", self.run_bulk),
            ]
        )

    @property
    def down_since(self) -> datetime | None:
        """Since when Temporal has not answered (None: it answers)."""
        return self.away.since

    @property
    def running(self) -> bool:
        return self._rounds.running

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop taking rows: a round under way may finish (within `timeout`: cancelled
        mid-transaction, a SQLite connection can keep its write turn), then the rows still
        held are given back for any dispatcher to take at once (after a crash instead, once
        their lease has run out)."""
        await self._rounds.stop(timeout)
        try:
            async with self.db.session() as session:
                await outbox.release_owned(session, self.owner)
                await session.commit()
        except Exception as exc:  # the store away: the leases run out by themselves
            log.warning("outbox rows not given back at stop: %s", exc)

    # --- one round -------------------------------------------------------------------------

    async def run_once(self) -> int:
        """A round of changes, then one of commands: what the loops do side by side."""
        return await self.run_changes() + await self.run_commands()

    async def run_changes(self) -> int:
        """Take the changes that may be evaluated now and evaluate them; how many rows."""
        rows = await claim_due(
            self.db, owner=self.owner, limit=self.batch, lease=LEASE, kinds=CHANGES
        )
        await self._process(rows)
        return len(rows)

    async def run_commands(self) -> int:
        """Take the commands that may run now and run them, unless Temporal is away and it is
        not yet time to probe it; how many rows. COMMAND_ROUNDS of these run side by side, so
        that Temporal always has starts in flight while a round waits for its slowest."""
        if self.away.waiting():
            return 0
        if self.away.since is not None:
            self.away.probing()  # this round probes; the others wait
        rows = await claim_due(
            self.db,
            owner=self.owner,
            limit=min(self.batch, COMMANDS_A_ROUND),
            lease=LEASE,
            kinds=COMMANDS,
        )
        await self._process(rows)
        return len(rows)

    async def expedite(self, seqs: list[int], *, depth: int = 3) -> None:
        """Act on these rows now, and on what they lead to (a change's commands), rather than
        at the next round: a worker's activity that enrolled or changed a friend has it done
        before the activity completes. Rows that may not be taken now (another's lease, an
        older row of their lane waiting) are left to the rounds."""
        if not seqs or depth == 0:
            return
        kinds = [*CHANGES, *COMMANDS]
        rows = await claim_due(
            self.db, owner=self.owner, limit=len(seqs), lease=LEASE, kinds=kinds, seqs=seqs
        )
        await self.expedite(await self._process(rows), depth=depth - 1)

    async def _process(self, rows: list[Outbox]) -> list[int]:
        """Evaluate the changes, run the commands; the seqs of the commands evaluating wrote."""
        if not rows:
            return []
        items = [(row, parse(row.kind, row.payload)) for row in rows]
        changes = [(row, item) for row, item in items if not item.command]
        commands = [(row, item) for row, item in items if item.command]
        written = await self._evaluate(changes) if changes else []
        if commands:
            if self.away.since is not None:  # one at a time until Temporal answers again
                self.away.probing()
                held, commands = commands[1:], commands[:1]
                seqs = [row.seq for row, _ in held if row.seq is not None]
                await self.db.writing(lambda store: outbox.alone(store, outbox.release, seqs))
            await self._run(commands)
        return written

    async def run_bulk(self) -> int:
        """One step of each bulk operation that may go on now."""
        if self.away.waiting():
            return 0
        rows = await claim_due(self.db, owner=self.owner, limit=4, lease=LEASE, kinds=BULK)
        for row in rows:
            item = parse(row.kind, row.payload)
            assert row.seq is not None
            if not isinstance(item, OperationStep):  # a part of a bulk change
                await self.expedite(await self._evaluate([(row, item)]))
                continue
            try:
                async with holding(self.db, row.seq, owner=self.owner, lease=LEASE):
                    await self.bulk.step(row.seq, item.operation_id)
                self.away.answered()
            except Exception as exc:
                await self._failed(row, exc, operation_id=item.operation_id)
        return len(rows)

    async def _evaluate(self, changes: list[tuple[Outbox, Kind]]) -> list[int]:
        """All in one transaction; should that fail, each in its own (only the bad one waits).
        The seqs of the commands written."""
        prepared = await self.evaluator.prepare([item for _, item in changes])
        try:
            return await self._transaction(changes, prepared)
        except Exception as exc:
            if len(changes) == 1:
                prepared.count(changes[0][1], "failed")
                await self._failed(changes[0][0], exc, temporal=False)
                return []
            log.warning("a batch of %d changes failed (%s); one by one", len(changes), exc)
        written: list[int] = []
        for change in changes:
            try:
                written += await self._transaction([change], prepared)
            except Exception as exc:
                prepared.count(change[1], "failed")
                await self._failed(change[0], exc, temporal=False)
        return written

    async def _transaction(
        self, changes: list[tuple[Outbox, Kind]], prepared: Prepared
    ) -> list[int]:
        async def evaluating(store: Database) -> tuple[set[int], list[int]]:
            async with store.session() as session:
                seqs = [row.seq for row, _ in changes if row.seq]
                mine = set(await outbox.take(session, seqs))
                # those another dispatcher did meanwhile are left out
                items = [item for row, item in changes if row.seq in mine]
                await self.evaluator.evaluate_all(session, items, prepared)
                await session.commit()
                return mine, outbox.added(session)

        # on SQLite, on the writer thread: the write turn held for the statements alone
        mine, written = await self.db.writing(evaluating)
        self.transactions += 1
        self.evaluated += len(mine)
        for row, item in changes:
            if row.seq in mine:
                metrics.OUTBOX_DONE.labels(kind=row.kind).inc()
                prepared.count(item, "processed")
        return written

    async def _run(self, commands: list[tuple[Outbox, Kind]]) -> None:
        failures = await self.commands.run_all([(row.seq or 0, item) for row, item in commands])
        succeeded: list[int] = []
        for (row, _), failure in zip(commands, failures, strict=True):
            if failure is not None:
                await self._failed(row, failure)
            elif row.seq is not None:
                succeeded.append(row.seq)
        if succeeded:
            self.away.answered()
            await self.db.writing(lambda store: outbox.alone(store, outbox.done, succeeded))
            for row, _ in commands:
                if row.seq in succeeded:
                    metrics.OUTBOX_DONE.labels(kind=row.kind).inc()

    # --- failures --------------------------------------------------------------------------

    async def _failed(
        self,
        row: Outbox,
        exc: Exception,
        *,
        operation_id: str | None = None,
        temporal: bool = True,
    ) -> None:
        """Try the row again later (`TemporalAway.retry` says when)."""
        assert row.seq is not None
        error, delay = self.away.retry(row, exc, temporal=temporal)
        metrics.OUTBOX_FAILED.labels(kind=row.kind).inc()
        async with self.db.session() as session:
            await outbox.retry(session, row.seq, error=error, delay=delay, now=utcnow())
            if operation_id is not None:
                await operations.failed(session, operation_id, error=error)
            await session.commit()
