"""Follows are admitted set-wise: a dispatcher round of 40 follow events costs the store the
same statements as a round of one (the friends, their blocks, the scenarios, the enrollments,
the start commands: one statement per kind), and its starts read their rows at once. What
each follow leads to is the same as one by one: every friend enrolled once in each follow
scenario, a follow older than a block received ignored, a friend following twice enrolled
once."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import event
from sqlmodel import select

from emulator.webhooks import follow_event, unfollow_event
from scenarios.definition import ScenarioDefinition
from store import scenarios
from store.definitions import Definitions
from store.tables import Enrollment, Friend
from tests.support.stack import user
from triggers import record
from triggers.pipeline import build_pipeline

WAIT = {"id": "w", "type": "wait", "duration": "P1D"}


class Starts:
    """Temporal's client as far as starts go: what was started."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    async def start_workflow(self, *args, id: str, **kwargs) -> None:
        self.ids.append(id)


async def _scenario(db, name: str) -> str:
    definition = ScenarioDefinition.model_validate(
        {"name": name, "trigger": {"type": "follow"}, "steps": [WAIT]}
    )
    async with db.session() as session:
        row = await scenarios.create_scenario(session, definition=definition)
        row.status = "active"
        session.add(row)
        await session.commit()
        return row.id


def _row(event: dict) -> dict:
    return {
        "event_id": event["webhookEventId"],
        "type": event["type"],
        "user_id": event["source"]["userId"],
        "timestamp_ms": event["timestamp"],
        "redelivery": False,
        "body": event,
    }


async def _acknowledged(db, events: list[dict]) -> None:
    async with db.session() as session:
        await record.webhooks_acknowledged(session, [[_row(event)] for event in events])
        await session.commit()


async def _round(db, round_) -> int:
    """Statements one dispatcher round (`run_changes`, `run_commands`) runs."""
    count = 0

    def counted(*_args) -> None:
        nonlocal count
        count += 1

    engines = db.sync_engines()
    for engine in engines:
        event.listen(engine, "before_cursor_execute", counted)
    try:
        await round_()
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", counted)
    return count


async def test_a_round_of_forty_follows_costs_what_a_round_of_one_does(db):
    ids = [await _scenario(db, "welcome"), await _scenario(db, "coupon")]
    starts = Starts()
    pipeline = build_pipeline(db=db, temporal=starts, task_queue="q", definitions=Definitions(db))
    now = int(datetime.now(UTC).timestamp() * 1000)
    await _acknowledged(db, [follow_event(user(0), now, is_unblocked=False)])
    one = await _round(db, pipeline.dispatcher.run_changes)  # its starts are in the outbox
    one_start = await _round(db, pipeline.dispatcher.run_commands)
    friends = [user(n) for n in range(1, 41)]
    await _acknowledged(
        db, [follow_event(f, now + n, is_unblocked=False) for n, f in enumerate(friends)]
    )
    # no more than for one (fewer: the scenarios' definitions are cached by then)
    assert one - 2 <= await _round(db, pipeline.dispatcher.run_changes) <= one
    assert await _round(db, pipeline.dispatcher.run_commands) == one_start  # 50 of the 80
    while await pipeline.dispatcher.run_commands():
        pass
    everyone = [user(0), *friends]
    assert sorted(starts.ids) == sorted(
        f"enrollment:{scenario_id}:{friend}:1" for scenario_id in ids for friend in everyone
    )
    async with db.session() as session:
        rows = (await session.exec(select(Enrollment))).all()
        followers = (await session.exec(select(Friend).where(Friend.following))).all()
    assert len(rows) == 2 * len(everyone) and {row.status for row in rows} == {"waiting"}
    assert {friend.user_id for friend in followers} == set(everyone)
    assert {friend.epoch for friend in followers} == {1}


async def test_a_batch_keeps_what_each_follow_means(db):
    scenario_id = await _scenario(db, "welcome")
    starts = Starts()
    pipeline = build_pipeline(db=db, temporal=starts, task_queue="q", definitions=Definitions(db))
    now = int((datetime.now(UTC) - timedelta(minutes=1)).timestamp() * 1000)
    blocked, twice, plain = user(1), user(2), user(3)
    # the block arrived first (LINE's order is not guaranteed), then the older follow
    await _acknowledged(db, [unfollow_event(blocked, now + 10)])
    await pipeline.dispatcher.run_once()
    await _acknowledged(
        db,
        [
            follow_event(blocked, now, is_unblocked=False),
            follow_event(twice, now + 1, is_unblocked=False),
            follow_event(twice, now + 2, is_unblocked=False),  # another event, same friend
            follow_event(plain, now + 3, is_unblocked=False),
        ],
    )
    while await pipeline.dispatcher.run_once():
        pass
    assert set(starts.ids) == {f"enrollment:{scenario_id}:{friend}:1" for friend in (twice, plain)}
    async with db.session() as session:
        rows = (await session.exec(select(Enrollment))).all()
        states = {f.user_id: f.following for f in (await session.exec(select(Friend))).all()}
    assert sorted(row.user_id for row in rows) == sorted([twice, plain])
    assert states == {blocked: False, twice: True, plain: True}
