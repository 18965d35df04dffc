"""Audience membership of every kind (docs/CONTRACT.md §5), computed from the store at the moment asked, on
SQLite and (when configured) PostgreSQL. `member_ids`, `size` and `is_member` must agree."""

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest

from scenarios.definition import ScenarioDefinition
from store import audiences, scenarios
from store.tables import Audience, Click, Delivery, Event, Friend, FriendTag
from tests.support.stack import user

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)
_seq = count(1)
A, B, C, D, E = (user(n) for n in range(1, 6))
EVERYONE = (A, B, C, D, E)


async def _create(db, kind: str, **params) -> Audience:
    async with db.session() as s:
        return await audiences.create_audience(s, name=kind, kind=kind, params=params)


async def _add(db, *rows) -> None:
    async with db.session() as s:
        s.add_all(rows)
        await s.commit()


def _click(user_id: str, at: datetime, scenario: str = "scn_a", step: str = "s1") -> Click:
    n = next(_seq)
    return Click(
        token=f"tok{n}",
        enrollment_id=f"enrollment:{scenario}:{user_id}:1",
        scenario_id=scenario,
        step_id=step,
        user_id=user_id,
        clicked_at=at,
    )


def _delivery(
    user_id: str, sent_at: datetime | None, scenario="scn_a", step="s1", status="sent"
) -> Delivery:
    return Delivery(
        enrollment_id=f"enrollment:{scenario}:{user_id}:{next(_seq)}",
        step_id=step,
        scenario_id=scenario,
        user_id=user_id,
        retry_key=f"key{next(_seq)}",
        status=status,
        sent_at=sent_at,
    )


def _event(user_id: str, name: str, at: datetime, **properties) -> Event:
    return Event(user_id=user_id, name=name, properties=properties, occurred_at=at)


async def _expect(db, audience: Audience, members: set[str], at: datetime = NOW) -> None:
    async with db.session() as s:
        assert await audiences.member_ids(s, audience=audience, at=at) == members
        assert await audiences.size(s, audience=audience, at=at) == len(members)
        for friend in EVERYONE:
            holds = await audiences.is_member(s, audience=audience, user_id=friend, at=at)
            assert holds == (friend in members), (friend, audience.params)


async def test_upload_members_are_the_listed_ones(db):
    async with db.session() as s:
        audience = await audiences.create_audience(
            s, name="vip", kind="upload", params={}, user_ids=[A, B, A]
        )
        other = await audiences.create_audience(s, name="other", kind="upload", params={})
    await _expect(db, audience, {A, B})
    await _expect(db, other, set())
    async with db.session() as s:
        await audiences.add_members(s, audience_id=audience.id, user_ids=[B, C])
    await _expect(db, audience, {A, B, C})
    await _expect(db, other, set())


async def test_only_upload_audiences_take_members_and_kinds_are_known(db):
    async with db.session() as s:
        with pytest.raises(ValueError):
            await audiences.create_audience(
                s, name="x", kind="tag", params={"tag": "vip"}, user_ids=[A]
            )
        with pytest.raises(ValueError):
            await audiences.create_audience(s, name="x", kind="lookalike", params={})


async def test_clicked_with_scenario_step_and_period(db):
    week = timedelta(days=7)
    await _add(
        db,
        _click(A, NOW - week),  # exactly at the edge: inside
        _click(B, NOW - week - TICK),  # just outside
        _click(C, NOW - timedelta(hours=1), scenario="scn_b", step="s1"),
        _click(D, NOW - timedelta(hours=1), step="s2"),
        _click(D, NOW - timedelta(hours=2), step="s2"),  # two clicks, one member
        _click(E, NOW + timedelta(hours=1)),  # later than `at` still counts
    )
    anything = await _create(db, "clicked", scenario=None, step=None, within=None)
    await _expect(db, anything, {A, B, C, D, E})
    recent = await _create(db, "clicked", scenario=None, step=None, within="P7D")
    await _expect(db, recent, {A, C, D, E})
    # a week later, A's click has left the period too
    await _expect(db, recent, {E}, at=NOW + week)
    of_scenario = await _create(db, "clicked", scenario="scn_a", step=None, within=None)
    await _expect(db, of_scenario, {A, B, D, E})
    of_step = await _create(db, "clicked", scenario="scn_a", step="s2", within="PT1H")
    await _expect(db, of_step, {D})
    await _expect(db, of_step, set(), at=NOW + timedelta(hours=1) + TICK)


async def test_delivered_counts_sent_deliveries_of_that_step_within_the_period(db):
    day = timedelta(days=1)
    await _add(
        db,
        _delivery(A, NOW - day),  # at the edge: inside
        _delivery(B, NOW - day - TICK),  # just outside
        _delivery(C, None, status="reserved"),  # never sent
        _delivery(C, NOW - timedelta(hours=1), status="failed"),
        _delivery(D, NOW - timedelta(hours=1), step="s2"),
        _delivery(E, NOW - timedelta(hours=1), scenario="scn_b"),
        _delivery(A, NOW - timedelta(hours=2)),  # sent twice (two enrollments): one member
    )
    recent = await _create(db, "delivered", scenario="scn_a", step="s1", within="P1D")
    await _expect(db, recent, {A})
    ever = await _create(db, "delivered", scenario="scn_a", step="s1", within=None)
    await _expect(db, ever, {A, B})
    other_step = await _create(db, "delivered", scenario="scn_a", step="s2", within=None)
    await _expect(db, other_step, {D})


async def test_tag_and_route(db):
    await _add(
        db,
        FriendTag(user_id=A, tag="vip"),
        FriendTag(user_id=A, tag="trial"),
        FriendTag(user_id=B, tag="vip"),
        FriendTag(user_id=C, tag="VIP"),  # tags are exact
        Friend(user_id=A, route="qr_code"),
        Friend(user_id=B, route="unknown"),
        Friend(user_id=C, route="qr_code"),
    )
    await _expect(db, await _create(db, "tag", tag="vip"), {A, B})
    await _expect(db, await _create(db, "tag", tag="gold"), set())
    await _expect(db, await _create(db, "route", route="qr_code"), {A, C})
    await _expect(db, await _create(db, "route", route="unknown"), {B})
    async with db.session() as s:  # membership follows the data as it changes
        await s.delete(await s.get(FriendTag, (A, "vip")))
        (await s.get(Friend, C)).route = "ad"
        await s.commit()
    await _expect(db, await _create(db, "tag", tag="vip"), {B})
    await _expect(db, await _create(db, "route", route="qr_code"), {A})


async def test_event_name_and_period(db):
    hour = timedelta(hours=1)
    await _add(
        db,
        _event(A, "purchase", NOW - hour),  # edge: inside
        _event(B, "purchase", NOW - hour - TICK),  # just outside
        _event(C, "cart_add", NOW),
        _event(D, "purchase", NOW + hour),  # later than `at`: counts
        _event(D, "purchase", NOW),
    )
    recent = await _create(db, "event", event="purchase", properties={}, within="PT1H")
    await _expect(db, recent, {A, D})
    ever = await _create(db, "event", event="purchase", properties={}, within=None)
    await _expect(db, ever, {A, B, D})
    await _expect(db, await _create(db, "event", event="page_view"), set())


async def test_event_properties_match_forgivingly(db):
    await _add(
        db,
        _event(A, "purchase", NOW, age="27", plan="gold"),  # "27" equals 27
        _event(B, "purchase", NOW, age=27.0),  # no plan: missing is no match
        _event(B, "purchase", NOW, age=28, plan="gold"),
        _event(C, "purchase", NOW - timedelta(days=2), age=27, plan="gold"),  # too old
        _event(D, "page_view", NOW, age=27, plan="gold"),  # another event
        _event(E, "purchase", NOW, age=27, plan="gold", extra=True),  # more properties: fine
    )
    both = await _create(
        db, "event", event="purchase", properties={"age": 27, "plan": "gold"}, within="P1D"
    )
    await _expect(db, both, {A, E})
    age = await _create(db, "event", event="purchase", properties={"age": 27}, within="P1D")
    await _expect(db, age, {A, B, E})
    ever = await _create(db, "event", event="purchase", properties={"age": 27}, within=None)
    await _expect(db, ever, {A, B, C, E})
    flag = await _create(db, "event", event="purchase", properties={"extra": "true"})
    await _expect(db, flag, {E})
    missing = await _create(db, "event", event="purchase", properties={"coupon": "x"})
    await _expect(db, missing, set())


async def test_message_step_ids_across_versions(db):
    def definition(*step_ids: str) -> ScenarioDefinition:
        steps = [
            {"id": s, "type": "message", "messages": [{"type": "text", "text": s}]}
            for s in step_ids
        ]
        branch = {
            "id": "split",
            "type": "branch",
            "branches": [{"label": "t", "when": {"tag": "vip"}, "steps": steps[1:]}],
        }
        return ScenarioDefinition.model_validate(
            {"name": "t", "trigger": {"type": "follow"}, "steps": [steps[0], branch]}
        )

    async with db.session() as s:
        scenario = await scenarios.create_scenario(s, definition=definition("a", "b"))
        await scenarios.add_version(s, scenario=scenario, definition=definition("a", "c"))
        assert await audiences.message_step_ids(s, scenario_id=scenario.id) == {"a", "b", "c"}
        assert await audiences.message_step_ids(s, scenario_id="scn_nope") == set()
