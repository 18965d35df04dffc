"""Multicast for identical messages (issue 23): friends due the same messages at the same
moment share LINE multicasts, each friend still getting the step exactly once — through a
5xx, a lost answer and a refused batch — and the rows, stats and timeline stay per friend."""

from datetime import timedelta

import pytest
from sqlmodel import select

from core import metrics
from store.multicast_table import MulticastBatch
from store.tables import Delivery
from tests.api.helpers import scenario, text
from tests.support.stack import running_stack, user

FRIENDS = 12


@pytest.fixture
async def stack(ts_env, sqlite_url):
    """A stack whose worker multicasts (STEPLINE_MULTICAST; the other tests' stacks push)."""
    async with running_stack(ts_env, database_url=sqlite_url, multicast=True) as running:
        yield running


async def sale_at_one_moment(stack, body: str = "Sale today") -> tuple[str, list[str]]:
    """A scenario waiting until one moment, then one message; FRIENDS friends in it."""
    moment = (await stack.env.get_current_time() + timedelta(days=1)).isoformat()
    scenario_id = await stack.scenario(
        scenario({"id": "until", "type": "wait", "until": moment}, text("sale", body))
    )
    friends = [user(1500 + n) for n in range(FRIENDS)]
    await stack.follow_many(friends)
    return scenario_id, friends


async def rows(stack, scenario_id: str) -> list[Delivery]:
    async with stack.db.session() as session:
        return list(await session.exec(select(Delivery).where(Delivery.scenario_id == scenario_id)))


async def everyone_once(stack, scenario_id: str, friends: list[str], body: str) -> None:
    for friend in friends:
        assert (await stack.outcome(scenario_id, friend)).status == "completed"
        assert await stack.texts(friend) == [body], friend


async def test_friends_due_together_share_multicasts_and_each_gets_it_once(stack):
    calls = dict(stack.emulator.calls)
    reached = metrics.MULTICAST_RECIPIENTS._value.get()
    scenario_id, friends = await sale_at_one_moment(stack)
    await everyone_once(stack, scenario_id, friends, "Sale today")
    multicasts = stack.emulator.calls["multicast"] - calls.get("multicast", 0)
    pushes = stack.emulator.calls["push"] - calls.get("push", 0)
    assert multicasts >= 1 and multicasts + pushes < FRIENDS  # fewer requests than friends
    found = await rows(stack, scenario_id)
    assert {row.status for row in found} == {"sent"} and len(found) == FRIENDS
    batched = [row for row in found if row.batch not in (None, row.retry_key)]
    assert batched and all(row.request_id for row in batched)
    assert metrics.MULTICAST_RECIPIENTS._value.get() - reached == len(batched)
    async with stack.db.session() as session:
        batches = list(await session.exec(select(MulticastBatch)))
    assert sorted(u for b in batches for u in b.user_ids) == sorted(r.user_id for r in batched)
    stats = (await stack.api.get(f"/scenarios/{scenario_id}/stats")).json()
    assert stats["messages_sent"] == FRIENDS and stats["counted"] == FRIENDS


async def test_a_message_of_the_friends_own_is_pushed_to_each(stack):
    calls = stack.emulator.calls["multicast"]
    scenario_id, friends = await sale_at_one_moment(stack, "Hello {displayName}")
    for friend in friends:
        assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert stack.emulator.calls["multicast"] == calls
    assert not any(row.batch for row in await rows(stack, scenario_id))  # never claimed


async def test_a_5xx_batch_is_sent_again_with_its_key_and_nobody_gets_it_twice(stack):
    await stack.emu.post(
        "/emulator/faults", json={"status": 500, "times": 1, "endpoints": ["multicast"]}
    )
    scenario_id, friends = await sale_at_one_moment(stack)
    await everyone_once(stack, scenario_id, friends, "Sale today")
    assert all(row.status == "sent" for row in await rows(stack, scenario_id))


async def test_a_batch_whose_answer_was_lost_is_not_sent_twice(stack):
    conflicts = stack.emulator.conflicts["multicast"]
    await stack.emu.post(
        "/emulator/faults", json={"accept_then_drop": True, "endpoints": ["multicast"]}
    )
    scenario_id, friends = await sale_at_one_moment(stack)
    await everyone_once(stack, scenario_id, friends, "Sale today")
    assert stack.emulator.conflicts["multicast"] > conflicts  # LINE: already taken (409)
    assert all(row.status == "sent" for row in await rows(stack, scenario_id))


async def test_a_batch_line_refuses_is_pushed_friend_by_friend(stack):
    await stack.emu.post(
        "/emulator/faults",
        json={"status": 400, "message": "The request body has 1 error(s)", "times": 1,
              "endpoints": ["multicast"]},
    )  # fmt: skip
    pushes = stack.emulator.calls["push"]
    scenario_id, friends = await sale_at_one_moment(stack)
    await everyone_once(stack, scenario_id, friends, "Sale today")
    assert stack.emulator.calls["push"] > pushes
    let_go = [row for row in await rows(stack, scenario_id) if row.batch == row.retry_key]
    assert let_go and all(row.status == "sent" and row.request_id for row in let_go)


async def test_a_friend_who_blocked_before_the_moment_is_left_out(stack):
    scenario_id, friends = await sale_at_one_moment(stack)
    await stack.unfollow(friends[0])
    assert (await stack.outcome(scenario_id, friends[0])).status == "blocked"
    await everyone_once(stack, scenario_id, friends[1:], "Sale today")
    assert await stack.received(friends[0]) == []
