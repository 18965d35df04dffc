"""Several dispatchers at once (API and worker processes): each change is acted on by one of
them, in order per friend, on SQLite and on PostgreSQL."""

import asyncio

from sqlmodel import select

from store.definitions import Definitions
from store.tables import Enrollment
from tests.api.helpers import scenario, text, wait
from tests.support.pipeline import dispatcher_stopped
from tests.support.stack import user
from triggers.pipeline import build_pipeline


async def test_two_dispatchers_enrol_every_friend_once(any_stack):
    stack = any_stack
    scenario_id = await stack.scenario(scenario(text("hi", "Hi"), wait("w", "P1D"), text("x", "X")))
    other = build_pipeline(
        db=stack.db,
        temporal=stack.env.client,
        task_queue=stack.settings.task_queue,
        definitions=Definitions(stack.db),
    ).dispatcher
    friends = [user(7600 + n) for n in range(30)]
    # a few rows a claim each: one claim of the default 200 would let whichever starts first
    # take all 40 changes, and the other nothing to share
    other.batch = stack.dispatcher.batch = 4
    async with dispatcher_stopped(stack):  # both start together on what has piled up
        for friend in friends:
            await stack.follow(friend, settle=False)
        for friend in friends[:10]:  # and a block right behind some of the follows
            await stack.unfollow(friend, settle=False)
        await other.start()
    try:
        await stack.settle()
        for friend in friends[10:]:
            await stack.until_texts(friend, ["Hi"])
            assert (await stack.status(scenario_id, friend)).status == "waiting"
    finally:
        await other.stop()
    async with stack.db.reading() as session:
        rows = (await session.exec(select(Enrollment.user_id, Enrollment.status))).all()
    # one enrollment each of those who still follow; who blocked before their follow was
    # acted on, none (their follow is older than the block on record)
    assert sorted(user for user, _ in rows) == sorted(friends[10:])
    assert {status for _, status in rows} == {"waiting"}
    assert other.evaluated > 0 and stack.dispatcher.evaluated > 0  # both did their share
    await asyncio.sleep(0.2)
    for friend in friends[:10]:
        assert await stack.texts(friend) == []
    for friend in friends[10:]:
        assert await stack.texts(friend) == ["Hi"]
