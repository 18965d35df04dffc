"""Bulk operations, a step at a time: pause, resume, end or migrate every running enrollment
of a scenario, start or end every friend's date schedule. Each step reads the next chunk
from where the last one stopped (the operation's cursor), tells Temporal, then records how
far it got; a process killed in the middle leaves the operation's outbox row to another
dispatcher, which goes on from the cursor (signalling the last chunk again changes nothing:
control signals carry the scenario's control sequence, migrations their version)."""

import asyncio
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from domain.statuses import LIVE
from scenarios.runs import ControlSignal, MigrateSignal
from store import operations, outbox
from store.db import Database
from store.definitions import Definitions
from store.enrollment_ids import counted
from store.pipeline_tables import Operation
from store.tables import Enrollment, Friend, Scenario
from triggers.date_triggers import date_input, dated
from triggers.temporal import date_trigger_id, schedule_date, signal_each, terminate

CHUNK = 500  # enrollments (or friends) a step
CONCURRENCY = 100  # calls to Temporal in flight during a step
ENROLLMENTS = ("pause", "resume", "end", "migrate")  # over the scenario's running enrollments
FRIENDS = ("dates", "end_dates")  # over every friend


async def plan(
    session: AsyncSession,
    *,
    action: str,
    scenario: Scenario,
    params: dict[str, Any] | None = None,
) -> Operation:
    """A new operation and its outbox row, in the caller's transaction (no commit). A pause,
    resume or end makes an older one still under way pointless: it stops where it is."""
    if action in operations.CONTROL:
        await operations.supersede(session, scenario_id=scenario.id, actions=operations.CONTROL)
    if action in ENROLLMENTS:
        total = await _count(session, _live(scenario.id, params or {}))
    else:
        total = (await session.exec(select(func.count()).select_from(Friend))).one()
    operation = operations.new(
        session, action=action, scenario_id=scenario.id, total=total, params=params
    )
    if total:
        outbox.add(
            session,
            "operation",
            {"operation_id": operation.id},
            lane=f"scenario:{scenario.id}",
            operation_id=operation.id,
        )
    return operation


async def _count(session: AsyncSession, condition: Any) -> int:
    return (await session.exec(select(func.count()).select_from(Enrollment).where(condition))).one()


def _live(scenario_id: str, params: dict[str, Any]) -> Any:
    """The scenario's running enrollments; a migration's: those on an older version whose
    current step is in the new one (`steps`), the only ones that can move. (A test send's
    runs are not the scenario's: no pause, resume, end or migration holds them.)"""
    condition = and_(
        Enrollment.scenario_id == scenario_id,
        col(Enrollment.status).in_(LIVE),
        counted(Enrollment.id),
    )
    if params.get("below") is not None:
        condition = and_(
            condition,
            col(Enrollment.version) < params["below"],
            or_(
                col(Enrollment.current_step).is_(None),
                col(Enrollment.current_step).in_(params.get("steps", [])),
            ),
        )
    return condition


class Bulk:
    def __init__(
        self, *, db: Database, temporal: Client, task_queue: str, definitions: Definitions
    ):
        self.db, self.temporal, self.task_queue = db, temporal, task_queue
        self.definitions = definitions

    async def step(self, seq: int, operation_id: str) -> bool:
        """One step of the operation; True when it is finished (its row is then deleted).
        Raises when Temporal did not take it: the same step is tried again later."""
        async with self.db.reading() as session:
            operation = await session.get(Operation, operation_id)
            if operation is None or operation.status not in operations.OPEN:
                finished, reached, cursor = True, 0, {}
            elif operation.action in ENROLLMENTS:
                rows = await self._enrollments(session, operation)
                finished, reached = len(rows) < CHUNK, len(rows)
                cursor = _after(rows[-1]) if rows else operation.cursor
            else:
                friends = await self._friends(session, operation)
                finished, reached = len(friends) < CHUNK, len(friends)
                cursor = {"user_id": friends[-1].user_id} if friends else operation.cursor
        if operation is not None and operation.status in operations.OPEN and reached:
            if operation.action in ENROLLMENTS:
                await self._signal(operation, rows)
            else:
                await self._dates(operation, friends)
        async with self.db.session() as session:
            current = await session.get(Operation, operation_id, with_for_update=True)
            if current is not None and current.status in operations.OPEN:
                await operations.advance(
                    session, current, done=reached, cursor=cursor, finished=finished
                )
            if finished or current is None or current.status not in operations.OPEN:
                await outbox.done(session, [seq])
            else:
                await outbox.progress(session, seq)
            await session.commit()
        return finished

    async def _enrollments(self, session: AsyncSession, operation: Operation) -> list[Enrollment]:
        condition = _live(operation.scenario_id or "", operation.params)
        if operation.cursor:  # in the order they began, after the last one reached
            began = datetime.fromisoformat(operation.cursor["started_at"])
            condition = and_(
                condition,
                or_(
                    col(Enrollment.started_at) > began,
                    and_(
                        col(Enrollment.started_at) == began,
                        col(Enrollment.id) > operation.cursor["id"],
                    ),
                ),
            )
        statement = (
            select(Enrollment)
            .where(condition)
            .order_by(col(Enrollment.started_at), col(Enrollment.id))
            .limit(CHUNK)
        )
        return list(await session.exec(statement))

    async def _friends(self, session: AsyncSession, operation: Operation) -> list[Friend]:
        statement = select(Friend).order_by(col(Friend.user_id)).limit(CHUNK)
        if operation.cursor:
            statement = statement.where(col(Friend.user_id) > operation.cursor["user_id"])
        return list(await session.exec(statement))

    async def _signal(self, operation: Operation, rows: list[Enrollment]) -> None:
        params = operation.params
        if operation.action == "migrate":
            version = int(params["version"])
            definition = await self.definitions.get(operation.scenario_id or "", version)
            signal = MigrateSignal(version=version, definition=definition)
            signals = {row.id: ("migrate", signal) for row in rows}
        else:
            spread = timedelta(seconds=float(params.get("spread_seconds") or 0))
            total = max(operation.total, 1)
            signals = {}
            for index, row in enumerate(rows, start=operation.done):
                delay = (
                    min(spread * index / total, spread) if operation.action == "resume" else None
                )
                signals[row.id] = (
                    "control",
                    ControlSignal(action=operation.action, seq=int(params["seq"]), delay=delay),
                )
        await signal_each(self.temporal, signals, concurrency=CONCURRENCY)

    async def _dates(self, operation: Operation, friends: list[Friend]) -> None:
        scenario_id = operation.scenario_id or ""
        async with self.db.reading() as session:
            scenario = await session.get(Scenario, scenario_id)
        if scenario is None:
            return
        definition = await self.definitions.get(scenario.id, scenario.version)
        attribute = operation.params.get("attribute") or getattr(
            definition.trigger, "attribute", ""
        )
        with_date = [friend for friend in friends if dated(friend, attribute)]
        limit = asyncio.Semaphore(CONCURRENCY)

        async def one(friend: Friend) -> None:
            async with limit:
                if operation.action == "end_dates":
                    workflow_id = date_trigger_id(scenario_id, friend.user_id)
                    await terminate(self.temporal, workflow_id, "the scenario ended")
                    return
                input = date_input(scenario, definition, friend)
                if input is not None:
                    await schedule_date(self.temporal, task_queue=self.task_queue, input=input)

        await asyncio.gather(*(one(friend) for friend in with_date))


def _after(row: Enrollment) -> dict[str, str]:
    return {"started_at": row.started_at.isoformat(), "id": row.id}
