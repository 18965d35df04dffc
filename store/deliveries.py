"""Deliveries: one row per (enrollment, message step), the ledger behind exactly-once sends."""

import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, insert
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.conditions import Condition
from domain.ids import is_test
from domain.statuses import DeliveryStatus
from domain.steps import Window
from scenarios.policy import ChannelPolicy
from scenarios.runs import EnrollmentStatus, ProgressUpdate, SendOutcome, SendRequest
from store.enrollment_progress import record_statuses
from store.scenarios import release_delivery, reserve_deliveries, reserve_delivery
from store.send_gate import SendCheck, must_not_send
from store.send_rows import locked_deliveries, locked_friends
from store.tables import Delivery, Scenario
from store.types import utcnow

_RETRY_KEYS = uuid.UUID("0c9b7f0e-3f57-4c8e-9d43-5b1f0e8a6d21")


def retry_key(*, enrollment_id: str, step_id: str) -> str:
    """X-Line-Retry-Key: the same for every attempt of one step of one enrollment."""
    return str(uuid.uuid5(_RETRY_KEYS, f"{enrollment_id}/{step_id}"))


async def prepare_send(
    session: AsyncSession,
    *,
    request: SendRequest,
    exit: Sequence[Condition] = (),
    policy: ChannelPolicy | None = None,
    timezone: str = "Asia/Tokyo",
    window: Window | None = None,
    quota_reserved: datetime | None = None,
) -> SendOutcome | Delivery:
    """`prepare_sends` for one push, committed."""
    check = SendCheck(request, exit, policy, timezone, window, quota_reserved)
    [prepared] = await prepare_sends(session, [check])
    await session.commit()
    return prepared


async def prepare_sends(
    session: AsyncSession, checks: Sequence[SendCheck]
) -> list[SendOutcome | Delivery]:
    """Decide, in the caller's transaction (no commit), whether each push may go out. For
    each, the outcome when it must not (already sent, friend blocked, an exit condition
    holds, scenario paused or ended, the channel's policy says later, cap reached), else the
    reserved delivery row to push for, its enrollment recorded as `sending`.
    The friends' rows are locked, so two scenarios sending to one friend are counted in turn;
    one friend's pushes in one call are decided one after the other, each seeing the rows the
    one before reserved. `quota_reserved` (when to look again) says the plan's share kept for
    manual broadcasts is reached: a new push waits; a retried one (its key may have been
    accepted) goes on. Pushes waking together are decided with a few statements for them
    all: their deliveries, friends and scenarios read at once, their rows written at once."""
    results: list[SendOutcome | Delivery | None] = [None] * len(checks)
    for turn in _one_per_friend(checks):
        decided = await _prepare_together(session, [checks[i] for i in turn])
        for i, outcome in zip(turn, decided, strict=True):
            results[i] = outcome
    return [result for result in results if result is not None]


def _one_per_friend(checks: Sequence[SendCheck]) -> list[list[int]]:
    """Positions in turns holding each friend at most once, in their order."""
    turns: list[list[int]] = []
    seen: dict[str, int] = {}
    for position, check in enumerate(checks):
        turn = seen.get(check.request.user_id, 0)
        seen[check.request.user_id] = turn + 1
        if turn == len(turns):
            turns.append([])
        turns[turn].append(position)
    return turns


async def _prepare_together(
    session: AsyncSession, checks: list[SendCheck]
) -> list[SendOutcome | Delivery]:
    requests = [check.request for check in checks]
    reserved = await locked_deliveries(session, requests)
    friends = await locked_friends(session, sorted({request.user_id for request in requests}))
    scenarios = {
        request.scenario_id: await session.get(Scenario, request.scenario_id)
        for request in requests
    }
    results: list[SendOutcome | Delivery | None] = []
    new: list[int] = []  # positions of pushes that need a place under the scenario's cap
    for position, check in enumerate(checks):
        request = check.request
        delivery = reserved.get((request.enrollment_id, request.step_id))
        outcome = await must_not_send(
            session, check, delivery, friends.get(request.user_id), scenarios[request.scenario_id]
        )
        if outcome is None and delivery is None:
            new.append(position)
        results.append(outcome or delivery)
    for position, granted in zip(new, await _reserve(session, checks, new), strict=True):
        if not granted:
            results[position] = SendOutcome(result="capped")
            continue
        request = checks[position].request
        results[position] = Delivery(
            enrollment_id=request.enrollment_id,
            step_id=request.step_id,
            scenario_id=request.scenario_id,
            user_id=request.user_id,
            retry_key=retry_key(enrollment_id=request.enrollment_id, step_id=request.step_id),
            planned_at=request.planned_at,
        )
    rows = [results[position] for position in new if isinstance(results[position], Delivery)]
    if rows:
        await session.exec(insert(Delivery.__table__), params=[row.model_dump() for row in rows])
    await record_statuses(
        session,
        [
            ProgressUpdate(
                status=EnrollmentStatus(
                    enrollment_id=check.request.enrollment_id,
                    scenario_id=check.request.scenario_id,
                    version=check.request.version,
                    user_id=check.request.user_id,
                    status="sending",
                    step=check.request.step_id,
                ),
                at=check.request.planned_at,
                entered=check.request.step_id,
            )
            for check, result in zip(checks, results, strict=True)
            if isinstance(result, Delivery)
        ],
    )
    return [result for result in results if result is not None]


async def _reserve(session: AsyncSession, checks: list[SendCheck], new: list[int]) -> list[bool]:
    """A place under its scenario's delivery cap for each new push: one UPDATE for all of a
    scenario's when it has no cap, else one conditional UPDATE each (never past the cap).
    A test send's push is not counted: it always has one."""
    tests = {position for position in new if is_test(checks[position].request.enrollment_id)}
    new = [position for position in new if position not in tests]
    counts = Counter(checks[position].request.scenario_id for position in new)
    uncapped = {
        scenario_id
        for scenario_id, count in counts.items()
        if await reserve_deliveries(session, scenario_id=scenario_id, count=count)
    }
    granted = {
        position: checks[position].request.scenario_id in uncapped
        or await reserve_delivery(session, scenario_id=checks[position].request.scenario_id)
        for position in new
    }
    return [granted.get(position, True) for position in sorted([*new, *tests])]


async def mark_sent(session: AsyncSession, *, delivery: Delivery, request_id: str | None) -> None:
    await mark_sent_many(session, [(delivery, request_id)])
    await session.commit()


async def mark_sent_many(
    session: AsyncSession, sent: Sequence[tuple[Delivery, str | None]]
) -> list[None]:
    """LINE accepted these pushes: one UPDATE for them all (executemany), no commit (the
    caller's transaction holds them all; see store/batches.py)."""
    now = utcnow()
    table = Delivery.__table__
    statement = (
        update(table)
        .where(table.c.enrollment_id == bindparam("e"), table.c.step_id == bindparam("s"))
        .values(
            status=DeliveryStatus.SENT,
            request_id=bindparam("r"),
            silent=bindparam("q"),
            sent_at=now,
        )
    )
    await session.exec(
        statement,
        params=[
            {"e": d.enrollment_id, "s": d.step_id, "r": request_id, "q": bool(d.silent)}
            for d, request_id in sent
        ],
    )
    for delivery, request_id in sent:
        delivery.status, delivery.request_id, delivery.sent_at = (
            DeliveryStatus.SENT,
            request_id,
            now,
        )
    return [None] * len(sent)


async def mark_failed(session: AsyncSession, *, delivery: Delivery, error: str) -> None:
    """LINE refused the push for good: record why, and give the cap slot back."""
    await _mark_final(session, delivery, "failed", error)


async def mark_skipped(session: AsyncSession, *, delivery: Delivery, reason: str) -> None:
    """Decided against for good before the push (its coupon closed or expired): record why,
    and give the cap slot back; the enrollment goes on to its next step."""
    await _mark_final(session, delivery, "skipped", reason)


async def _mark_final(session: AsyncSession, delivery: Delivery, status: str, why: str) -> None:
    """Not pushed, for good (`failed`, `skipped`): the row says why, the cap slot is free."""
    await session.exec(
        update(Delivery)
        .where(
            col(Delivery.enrollment_id) == delivery.enrollment_id,
            col(Delivery.step_id) == delivery.step_id,
        )
        .values(status=status, error=why)
    )
    delivery.status, delivery.error = status, why
    if not is_test(delivery.enrollment_id):  # a test's push held no place under the cap
        await release_delivery(session, scenario_id=delivery.scenario_id)
    await session.commit()


async def deliveries_of(session: AsyncSession, *, enrollment_id: str) -> list[Delivery]:
    statement = (
        select(Delivery)
        .where(Delivery.enrollment_id == enrollment_id)
        .order_by(col(Delivery.created_at))
    )
    return list(await session.exec(statement))
