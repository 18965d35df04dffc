"""What the dispatcher does when acting on a change fails for another reason than Temporal
being away: the row stays, says why, and is tried again later, with backoff; its friend's
later changes wait behind it; other friends' changes go on; Temporal is not taken for away."""

from datetime import timedelta

from sqlmodel import select, update

from store.pipeline_tables import Outbox
from store.types import utcnow
from tests.api.helpers import scenario, text
from tests.support.pipeline import dispatcher_stopped
from tests.support.stack import user


async def test_a_change_that_fails_waits_and_its_friend_waits_behind_it(stack, monkeypatch):
    scenario_id = await stack.scenario(
        {**scenario(text("hi", "Cart")), "trigger": {"type": "event", "event": "cart_add"}}
    )
    broken, fine = user(7501), user(7502)
    for friend in (broken, fine):
        await stack.follow(friend)
    evaluate = stack.dispatcher.evaluator.evaluate

    async def failing(session, item, prepared):
        if getattr(item, "user_id", None) == broken:
            raise ValueError("a bug in evaluating it")
        return await evaluate(session, item, prepared)

    monkeypatch.setattr(stack.dispatcher.evaluator, "evaluate", failing)
    async with dispatcher_stopped(stack):
        for friend in (broken, fine, broken):
            answer = await stack.api.post("/events", json={"user_id": friend, "name": "cart_add"})
            assert answer.status_code == 201
        while await stack.dispatcher.run_once():
            pass
    async with stack.db.reading() as session:
        rows = (await session.exec(select(Outbox).order_by(Outbox.seq))).all()
    assert [(r.kind, r.payload["user_id"]) for r in rows] == [("event", broken)] * 2
    first, second = rows
    assert first.attempts == 1 and first.last_error == "ValueError: a bug in evaluating it"
    assert first.available_at > utcnow() and first.lease_until is None
    assert second.attempts == 0  # behind it in the friend's lane: not tried
    assert stack.dispatcher.down_since is None  # the store's trouble, not Temporal's
    await stack.until_texts(fine, ["Cart"])  # the other friend's went on

    monkeypatch.undo()  # fixed; and its time has come
    async with stack.db.session() as session:
        await session.exec(update(Outbox).values(available_at=utcnow() - timedelta(seconds=1)))
        await session.commit()
    await stack.settle()
    await stack.until_texts(broken, ["Cart"])  # once: the second event enrols nobody again
    assert (await stack.outcome(scenario_id, broken)).status == "completed"
