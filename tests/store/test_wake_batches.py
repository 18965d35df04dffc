"""Enrollments waking together are decided together (store.deliveries.prepare_sends,
activities.progress.decide_branches through GroupCommit): in a few transactions, yet each
push and each decision exactly as deciding them one by one would, on SQLite and (when
configured) PostgreSQL."""

import asyncio
from collections import Counter

from sqlmodel import col, select

from activities.progress import StoreActivities, decide_branches
from domain.conditions import AttributeCondition
from scenarios.definition import ScenarioDefinition
from scenarios.policy import ChannelPolicy
from scenarios.runs import BranchRequest, SendOutcome
from store import deliveries, enrollments, friends, scenarios
from store.batches import GroupCommit
from store.tables import BranchDecision, Delivery, Enrollment, Scenario
from tests.store.test_batches import transactions
from tests.store.test_store import NOW, send_request
from tests.support.stack import user


def _definition(cap: int | None = None) -> ScenarioDefinition:
    return ScenarioDefinition.model_validate(
        {
            "name": "wake batches",
            "trigger": {"type": "follow"},
            "delivery_cap": cap,
            "steps": [
                {"id": "hi", "type": "message", "messages": [{"type": "text", "text": "hi"}]},
                {"id": "more", "type": "message", "messages": [{"type": "text", "text": "m"}]},
            ],
        }
    )


async def _scenario(db, cap: int | None = None) -> Scenario:
    async with db.session() as s:
        scenario = await scenarios.create_scenario(s, definition=_definition(cap))
        await scenarios.change_status(s, scenario=scenario, action="activate")
        return scenario


async def _followers(db, first: int, count: int, **attributes) -> list[str]:
    users = [user(first + n) for n in range(count)]
    async with db.session() as s:
        for friend in users:
            await friends.record_follow(s, user_id=friend, timestamp_ms=1, at=NOW, commit=False)
        await s.commit()
    if attributes:
        for friend in users:
            async with db.session() as s:
                await friends.merge_attributes(s, user_id=friend, attributes=attributes)
    return users


def _check(scenario: Scenario, friend: str, step: str = "hi", **more) -> deliveries.SendCheck:
    request = send_request(scenario.id, friend, step)
    return deliveries.SendCheck(request=request, **more)


async def test_pushes_waking_together_are_reserved_in_few_transactions(db):
    scenario = await _scenario(db)
    users = await _followers(db, 700, 60)
    writer = GroupCommit(db, deliveries.prepare_sends, name="prepare_send")
    with transactions(db) as counted:
        prepared = await asyncio.gather(*(writer.submit(_check(scenario, u)) for u in users))
    assert counted["commit"] <= 4
    assert all(isinstance(row, Delivery) for row in prepared)
    assert [row.user_id for row in prepared] == users  # each caller its own row
    assert {row.retry_key for row in prepared} == {
        deliveries.retry_key(enrollment_id=row.enrollment_id, step_id="hi") for row in prepared
    }
    async with db.reading() as s:
        assert (await s.get(Scenario, scenario.id)).sent_count == 60
        rows = list(await s.exec(select(Delivery).where(col(Delivery.user_id).in_(users))))
        live = list(await s.exec(select(Enrollment).where(col(Enrollment.user_id).in_(users))))
    assert len(rows) == 60 and {row.status for row in rows} == {"reserved"}
    assert {(row.status, row.current_step) for row in live} == {("sending", "hi")}


async def test_a_capped_scenario_grants_only_what_is_left_in_one_batch(db):
    scenario = await _scenario(db, cap=3)
    users = await _followers(db, 800, 5)
    async with db.session() as s:
        prepared = await deliveries.prepare_sends(s, [_check(scenario, u) for u in users])
        await s.commit()
    assert [isinstance(row, Delivery) for row in prepared] == [True, True, True, False, False]
    assert prepared[3:] == [SendOutcome(result="capped")] * 2
    async with db.reading() as s:
        assert (await s.get(Scenario, scenario.id)).sent_count == 3


async def test_one_friends_pushes_in_one_batch_are_counted_one_after_the_other(db):
    """max_per_day 1: of two pushes to one friend decided together, the second waits."""
    scenario = await _scenario(db)
    [friend, other] = await _followers(db, 900, 2)
    policy = ChannelPolicy(max_per_day=1)
    checks = [
        _check(scenario, friend, "hi", policy=policy),
        _check(scenario, other, "hi", policy=policy),
        _check(scenario, friend, "more", policy=policy),
    ]
    async with db.session() as s:
        first, second, again = await deliveries.prepare_sends(s, checks)
        await s.commit()
    assert isinstance(first, Delivery) and isinstance(second, Delivery)
    assert isinstance(again, SendOutcome) and (again.result, again.hold) == (
        "deferred",
        "frequency",
    )


async def test_a_blocked_friend_in_a_batch_changes_nothing_for_the_others(db):
    scenario = await _scenario(db)
    [blocked, fine] = await _followers(db, 950, 2)
    async with db.session() as s:
        [reserved] = await deliveries.prepare_sends(s, [_check(scenario, blocked)])
        await s.commit()
    async with db.session() as s:
        await friends.record_unfollow(s, user_id=blocked, timestamp_ms=2, at=NOW)
    async with db.session() as s:  # the retry of the blocked friend's push, with another
        outcome, prepared = await deliveries.prepare_sends(
            s, [_check(scenario, blocked), _check(scenario, fine)]
        )
        await s.commit()
    assert outcome == SendOutcome(result="blocked") and isinstance(prepared, Delivery)
    async with db.reading() as s:
        row = await s.get(Delivery, (reserved.enrollment_id, "hi"))
        assert row.status == "unconfirmed"
        assert (await s.get(Scenario, scenario.id)).sent_count == 2


def _branch(scenario: Scenario, friend: str) -> BranchRequest:
    return BranchRequest(
        enrollment_id=enrollments.enrollment_id(scenario_id=scenario.id, user_id=friend, epoch=1),
        scenario_id=scenario.id,
        user_id=friend,
        step_id="plan",
        labels=["gold"],
        conditions=[AttributeCondition(attribute="plan", equals="gold")],
        at=NOW,
    )


async def test_branch_decisions_taken_together_are_each_friends_own(db):
    scenario = await _scenario(db)
    gold = await _followers(db, 1000, 3, plan="gold")
    basic = await _followers(db, 1010, 3, plan="basic")
    store = StoreActivities(db)
    with transactions(db) as counted:
        choices = await asyncio.gather(
            *(store.evaluate_branch(_branch(scenario, u)) for u in gold + basic)
        )
    assert counted["commit"] <= 3
    assert [choice.index for choice in choices] == [0, 0, 0, None, None, None]
    assert choices[0].inputs == {"attribute:plan": "gold"}

    # a retried attempt keeps the decision taken, whatever changed since
    async with db.session() as s:
        await friends.merge_attributes(s, user_id=gold[0], attributes={"plan": "basic"})
    async with db.session() as s:
        [again] = await decide_branches(s, [_branch(scenario, gold[0])])
    assert again.index == 0
    async with db.reading() as s:
        rows = list(
            await s.exec(select(BranchDecision).where(BranchDecision.scenario_id == scenario.id))
        )
    taken = Counter((row.label, row.branch_index) for row in rows)
    assert taken == {("gold", 0): 3, (None, None): 3}
