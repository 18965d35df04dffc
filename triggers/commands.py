"""Commands: the outbox rows that are one call to Temporal each (triggers/kinds.py). Each is
idempotent — a start names its workflow id and leaves a running one alone, a signal carries
its row's seq as `change_id` — so a command run twice (a dispatcher died after the call,
before deleting the row) changes nothing the second time."""

import asyncio
import logging

from temporalio.client import Client

from core import logs, metrics
from domain.statuses import LIVE, Status
from store import enrollment_progress
from store.db import Database
from store.definitions import Definitions
from store.lookups import rows_by
from store.tables import Enrollment, Friend, Scenario
from store.types import utcnow
from triggers.enrol import enrollment_input, handed_wait
from triggers.kinds import Kind, ScheduleDate, SignalEnrollment, StartEnrollment, StartTest
from triggers.temporal import schedule_date, signal_each, start_enrollment
from triggers.test_sends import start_test

log = logging.getLogger("stepline.commands")
enrol_log = logging.getLogger("stepline.enrol")


class Commands:
    def __init__(
        self,
        *,
        db: Database,
        temporal: Client,
        task_queue: str,
        definitions: Definitions,
        eager: bool = False,
        at_once: int = 100,
    ):
        self.db, self.temporal, self.task_queue = db, temporal, task_queue
        self.definitions = definitions
        # in a worker's process, on its client: Temporal hands the first workflow task of a
        # start straight back to that worker (eager workflow start), no poll in between
        self.eager = eager
        self.at_once = at_once  # starts in flight at a time (a round's; COMMAND_ROUNDS run)

    async def run_all(self, commands: list[tuple[int, Kind]]) -> list[Exception | None]:
        """Each command (seq, what) once, up to `at_once` in flight, the starts together
        (`start_many`); for each, what failed (None: done)."""
        starts = [
            (n, item) for n, (_, item) in enumerate(commands) if isinstance(item, StartEnrollment)
        ]
        others = [(n, c) for n, c in enumerate(commands) if not isinstance(c[1], StartEnrollment)]
        limit = asyncio.Semaphore(self.at_once)

        async def one(seq: int, item: Kind) -> Exception | None:
            async with limit:
                try:
                    await self.run(seq, item)
                except Exception as exc:
                    return exc
            return None

        answers = await asyncio.gather(
            self.start_many([item for _, item in starts]),  # type: ignore[arg-type]
            *(one(seq, item) for _, (seq, item) in others),
        )
        failures: list[Exception | None] = [None] * len(commands)
        for (n, _), failure in zip([*starts, *others], [*answers[0], *answers[1:]], strict=True):
            failures[n] = failure
        return failures

    async def run(self, seq: int, item: Kind) -> None:
        """Do what the command says; raises when Temporal did not take it (tried again)."""
        if isinstance(item, StartEnrollment):
            await self.start(item)
        elif isinstance(item, SignalEnrollment):
            await self.signal(seq, item)
        elif isinstance(item, StartTest):
            await start_test(self, item)
        elif isinstance(item, ScheduleDate):
            await schedule_date(self.temporal, task_queue=self.task_queue, input=item.input)
        else:
            raise TypeError(f"not a command: {item.kind}")

    async def start(self, item: StartEnrollment) -> None:
        """Start the enrollment's workflow as the scenario and the friend are now: paused with
        a paused scenario; not at all when the scenario ended or the friend blocked since it
        was admitted (the row then says so)."""
        (failure,) = await self.start_many([item])
        if failure is not None:
            raise failure

    async def start_many(self, items: list[StartEnrollment]) -> list[Exception | None]:
        """`start` for each, the rows read with one statement per table and up to `at_once`
        starts in flight; for each, what Temporal answered (None: done)."""
        ids = [item.enrollment_id for item in items]
        async with self.db.reading() as session:
            rows = await rows_by(session, Enrollment, Enrollment.id, ids)
            scenarios = await rows_by(
                session, Scenario, Scenario.id, [row.scenario_id for row in rows.values()]
            )
            friends = await rows_by(
                session, Friend, Friend.user_id, [row.user_id for row in rows.values()]
            )
        limit = asyncio.Semaphore(self.at_once)

        async def one(item: StartEnrollment) -> Exception | None:
            row = rows.get(item.enrollment_id)
            scenario = scenarios.get(row.scenario_id) if row else None
            friend = friends.get(row.user_id) if row else None
            try:
                async with limit:
                    await self._start(item, row, scenario, friend)
            except Exception as exc:
                return exc
            return None

        return list(await asyncio.gather(*(one(item) for item in items)))

    async def _start(
        self,
        item: StartEnrollment,
        row: Enrollment | None,
        scenario: Scenario | None,
        friend: Friend | None,
    ) -> None:
        if row is None or scenario is None or friend is None or row.status not in LIVE:
            return  # settled meanwhile (blocked before it began)
        if scenario.status == "ended":
            await self._settle(row, "ended")
            return
        if not friend.following or friend.epoch != row.epoch:
            await self._settle(row, "blocked")
            return
        definition = await self.definitions.get(row.scenario_id, row.version)
        started = await start_enrollment(
            self.temporal,
            task_queue=self.task_queue,
            definition=definition,
            eager=self.eager,
            input=enrollment_input(
                row.id,
                scenario,
                row.version,
                friend,
                definition=definition,
                reply=row.reply_event is not None and definition.reply_first,
                first_wait=handed_wait(row, scenario, definition),
            ),
        )
        if started:
            metrics.ENROLMENTS.labels(scenario_id=scenario.id, trigger=item.cause).inc()
            with logs.bound(**item.origin):  # the webhook event (…) it came from
                enrol_log.info(
                    "enrolled %s in %s (%s): %s",
                    friend.user_id,
                    scenario.id,
                    item.cause,
                    row.id,
                    extra={"enrollment_id": row.id},
                )

    async def signal(self, seq: int, item: SignalEnrollment) -> None:
        arguments = {**item.args, "change_id": seq}
        gone = await signal_each(self.temporal, {item.workflow_id: (item.signal, arguments)})
        if gone and item.gone is not None:  # never started, or over: the row says it here
            async with self.db.reading() as session:
                row = await session.get(Enrollment, item.workflow_id)
            if row is not None and row.status in LIVE:
                await self._settle(row, item.gone, at=item.at)

    async def _settle(self, row: Enrollment, status: Status, *, at=None) -> None:
        async with self.db.session() as session:
            await enrollment_progress.settle(session, row, status, at=at or utcnow())
            await session.commit()
