"""Conversions: how many enrollments had the scenario's `goal` event within its window after a
moment of theirs (the start, a step's entry or send, a branch decision), one query per moment."""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Float, and_, distinct, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.statuses import DeliveryStatus
from domain.values import properties_match
from scenarios.definition import Goal
from store.tables import BranchDecision, Delivery, Enrollment, Event, StepEntry


@dataclass
class Conversions:
    """Enrollments with a goal event within the window after each moment measured from."""

    started: int = 0  # after the enrollment began
    entered: dict[str, int] = field(default_factory=dict)  # after entering the step
    sent: dict[str, int] = field(default_factory=dict)  # after the step's message was sent
    # after the branch / split / wait_for decision, per (step, label; None: otherwise)
    decided: dict[tuple[str, str | None], int] = field(default_factory=dict)


class _milliseconds_between(FunctionElement):
    """Whole milliseconds from the first datetime column to the second, in SQL. (SQLite keeps
    datetimes as text, PostgreSQL as timestamps: no arithmetic is common to both.)"""

    type = Float()
    inherit_cache = True
    name = "milliseconds_between"


@compiles(_milliseconds_between)
def _milliseconds_postgresql(element: Any, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"round(EXTRACT(EPOCH FROM ({end} - {start})) * 1000)"


@compiles(_milliseconds_between, "sqlite")
def _milliseconds_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"round((julianday({end}) - julianday({start})) * 86400000.0)"


async def goal_reached(session: AsyncSession, goal: Goal, ids: Any) -> Conversions:
    started = await _reached(session, goal, ids, source=Enrollment, moment=Enrollment.started_at)
    entered = await _reached(
        session, goal, ids, source=StepEntry, moment=StepEntry.entered_at, keys=(StepEntry.step_id,)
    )
    sent = await _reached(
        session,
        goal,
        ids,
        source=Delivery,
        moment=Delivery.sent_at,
        keys=(Delivery.step_id,),
        where=(Delivery.status == DeliveryStatus.SENT,),
    )
    decided = await _reached(
        session,
        goal,
        ids,
        source=BranchDecision,
        moment=BranchDecision.decided_at,
        keys=(BranchDecision.step_id, BranchDecision.label),
    )
    return Conversions(
        started=started.get((), 0),
        entered={key[0]: count for key, count in entered.items()},
        sent={key[0]: count for key, count in sent.items()},
        decided={(key[0], key[1]): count for key, count in decided.items()},
    )


async def _reached(
    session: AsyncSession,
    goal: Goal,
    ids: Any,
    *,
    source: Any,
    moment: Any,
    keys: tuple[Any, ...] = (),
    where: tuple[Any, ...] = (),
) -> dict[tuple[Any, ...], int]:
    """Per `keys`, how many enrollments of `source` rows (enrollments, step entries, sends,
    decisions) had a goal event from `moment` to `moment + goal.within`: one joined query.
    Properties are matched in Python, forgiving as event conditions are ("27" equals 27)."""
    enrollment = Enrollment.id if source is Enrollment else source.enrollment_id
    window_ms = goal.window.total_seconds() * 1000
    reached = and_(
        Event.user_id == Enrollment.user_id,
        Event.name == goal.event,
        col(Event.occurred_at) >= moment,
        _milliseconds_between(moment, Event.occurred_at) <= window_ms,
    )
    if goal.properties:
        statement = select(*keys, enrollment, Event.properties)
    else:
        statement = select(*keys, func.count(distinct(enrollment)))
        if keys:
            statement = statement.group_by(*keys)
    statement = statement.select_from(source)
    if source is not Enrollment:
        statement = statement.join(Enrollment, Enrollment.id == enrollment)
    statement = statement.join(Event, reached).where(col(enrollment).in_(ids), *where)
    rows = await session.exec(statement)
    if not goal.properties:
        if not keys:  # one column: sqlmodel gives the count itself
            return {(): rows.one()}
        return {tuple(row[:-1]): row[-1] for row in rows}
    found: dict[tuple[Any, ...], set[str]] = defaultdict(set)
    for *key, enrollment_id, properties in rows:
        if properties_match(goal.properties, properties or {}):
            found[tuple(key)].add(enrollment_id)
    return {key: len(members) for key, members in found.items()}
