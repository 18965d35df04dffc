"""Test sends through the change pipeline: the request recorded with a `start_test` command
for each tester in the transaction that accepts it (`record`), and the command run by the
dispatcher (`start_test`): the tester's run started at Temporal, with retries, even when
Temporal was away as the request was answered. Run twice, a command starts one workflow
(its id names the run) and counts its tester once."""

from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from domain.statuses import LIVE
from scenarios.runs import TestRun
from store import enrollment_progress, operations
from store.tables import Enrollment, Friend, Scenario
from store.types import utcnow
from triggers.enrol import enrollment_input
from triggers.kinds import StartTest
from triggers.record import add
from triggers.temporal import start_enrollment

if TYPE_CHECKING:
    from triggers.commands import Commands


def record(session: AsyncSession, runs: list[str], test: TestRun, *, operation_id: str) -> None:
    """A start command for each run, in the caller's transaction (no commit)."""
    for run in runs:
        item = StartTest(enrollment_id=run, test=test, operation_id=operation_id)
        add(session, item, lane=run, operation_id=operation_id)


async def start_test(commands: "Commands", item: StartTest) -> None:
    """Start the tester's run as the scenario and the friend are now (a draft or a paused
    scenario as well: a test is never held); a tester who blocked the account since is not
    sent to (the run ends `blocked`)."""
    async with commands.db.reading() as session:
        row = await session.get(Enrollment, item.enrollment_id)
        scenario = await session.get(Scenario, row.scenario_id) if row else None
        friend = await session.get(Friend, row.user_id) if row else None
    if row is None or scenario is None or friend is None or row.status not in LIVE:
        return  # settled already (an earlier run of this command)
    if not friend.following or friend.epoch != row.epoch:
        await _settle(commands, row, item.operation_id)
        return
    definition = await commands.definitions.get(row.scenario_id, row.version)
    input = enrollment_input(row.id, scenario, row.version, friend, definition=definition)
    started = await start_enrollment(
        commands.temporal,
        task_queue=commands.task_queue,
        definition=definition,
        eager=commands.eager,
        input=input.model_copy(update={"test": item.test, "paused": False}),
    )
    if started:
        await _reached(commands, item.operation_id)


async def _settle(commands: "Commands", row: Enrollment, operation_id: str) -> None:
    async with commands.db.session() as session:
        error = "the tester no longer follows the account"
        await enrollment_progress.settle(session, row, "blocked", at=utcnow(), error=error)
        await operations.count_reached(session, operation_id, 1)
        await session.commit()


async def _reached(commands: "Commands", operation_id: str) -> None:
    async with commands.db.session() as session:
        await operations.count_reached(session, operation_id, 1)
        await session.commit()
