"""Test sends (LINE's テスト配信, `POST /scenarios/{id}/test-sends`): each request as it was
accepted, and the run of each tester it starts. A run is an Enrollment row whose id is a test
run's (`test:{scenario_id}:{user_id}:{seq}`, store/enrollment_ids.py), so the workflow reports
it like any other; every count leaves such rows out (`counted`)."""

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store import events
from store.enrollment_ids import id_of_test_run
from store.tables import Enrollment, Friend, FriendTag
from store.test_send_table import TestSend
from store.upsert import insert_ignore

__all__ = ["TestSend", "by_key", "following", "record", "runs_of", "testers_tagged"]


async def testers_tagged(session: AsyncSession, tag: str, *, limit: int) -> list[str]:
    """Friends who follow the account and have this tag, in id order (at most `limit`)."""
    statement = (
        select(Friend.user_id)
        .join(FriendTag, col(FriendTag.user_id) == col(Friend.user_id))
        .where(FriendTag.tag == tag, col(Friend.following).is_(True))
        .order_by(col(Friend.user_id))
        .limit(limit)
    )
    return list(await session.exec(statement))


async def following(session: AsyncSession, user_ids: list[str]) -> set[str]:
    """Those of these friends who follow the account."""
    statement = select(Friend.user_id).where(
        col(Friend.user_id).in_(user_ids), col(Friend.following).is_(True)
    )
    return set(await session.exec(statement))


async def by_key(session: AsyncSession, key: str) -> TestSend | None:
    statement = select(TestSend).where(TestSend.idempotency_key == key)
    return (await session.exec(statement)).first()


async def record(session: AsyncSession, test: TestSend, *, at: datetime) -> dict[str, str]:
    """The test send and one run for each tester (an Enrollment row with a test run's id, as
    the friend is now), in the caller's transaction; the runs' ids by tester."""
    session.add(test)
    await session.flush()  # its seq: the runs' ids
    assert test.seq is not None
    runs: dict[str, str] = {}
    rows = []
    for user_id in test.user_ids:
        friend = await session.get(Friend, user_id)
        run = id_of_test_run(scenario_id=test.scenario_id, user_id=user_id, n=test.seq)
        runs[user_id] = run
        rows.append(
            {
                "id": run,
                "scenario_id": test.scenario_id,
                "version": test.version,
                "user_id": user_id,
                "epoch": friend.epoch if friend else 0,
                "entry": 1,
                "event_seq": await events.last_seq(session, user_id=user_id),
                "status": "waiting",
                "started_at": at,
                "updated_at": at,
            }
        )
    await insert_ignore(session, Enrollment, rows)
    return runs


def runs_of(test: TestSend) -> dict[str, str]:
    assert test.seq is not None
    return {
        user_id: id_of_test_run(scenario_id=test.scenario_id, user_id=user_id, n=test.seq)
        for user_id in test.user_ids
    }
