"""app/reach.py: who a scenario's trigger would take now, and how its branches and splits would
divide them, counted on a small store (SQLite, and PostgreSQL when configured)."""

from datetime import UTC, datetime, timedelta

import pytest

from app import reach as reach_service
from scenarios.definition import ScenarioDefinition
from store import audiences
from store import reach as counting
from store.tables import Event, Friend, FriendTag
from tests.support.stack import user

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
A, B, C, D, E, F = (user(n) for n in range(1, 7))
WAIT = {"id": "w", "type": "wait", "duration": "P1D"}


def _friend(user_id, *, following=True, route="unknown", days_ago=10, **attributes) -> Friend:
    return Friend(
        user_id=user_id,
        following=following,
        route=route,
        followed_at=NOW - timedelta(days=days_ago),
        attributes=attributes,
    )


@pytest.fixture
async def store(db):
    async with db.session() as s:
        s.add_all(
            [
                _friend(A, route="qr", plan="gold", birthday="1990-04-01"),
                _friend(B, route="qr", plan="silver"),
                _friend(C, route="ad", plan="gold", birthday="not a date"),
                _friend(D, route="ad", days_ago=40),
                _friend(E, route="qr", following=False, plan="gold"),  # blocked
                _friend(F, route="web", birthday="2001-12-24"),
                FriendTag(user_id=B, tag="vip"),
                FriendTag(user_id=D, tag="vip"),
                Event(
                    user_id=A,
                    name="message",
                    properties={"text": "クーポン ください"},
                    occurred_at=NOW - timedelta(days=2),
                ),
                Event(
                    user_id=B,
                    name="message",
                    properties={"text": "hello"},
                    occurred_at=NOW - timedelta(days=2),
                ),
                Event(
                    user_id=C,
                    name="purchase",
                    properties={"sku": "x"},
                    occurred_at=NOW - timedelta(days=1),
                ),
                Event(
                    user_id=D,
                    name="purchase",
                    properties={"sku": "y"},
                    occurred_at=NOW - timedelta(days=3),
                ),
                Event(
                    user_id=F,
                    name="purchase",
                    properties={"sku": "x"},
                    occurred_at=NOW - timedelta(days=60),
                ),
            ]
        )
        await s.commit()
        qr = await audiences.create_audience(s, name="qr", kind="route", params={"route": "qr"})
    return db, qr.id


def _definition(trigger: dict, steps: list[dict]) -> ScenarioDefinition:
    return ScenarioDefinition.model_validate({"name": "r", "trigger": trigger, "steps": steps})


async def _reach(db, trigger, steps):
    async with db.reading() as s:
        return (await reach_service.reach(s, _definition(trigger, steps), at=NOW)).as_json()


def _counts(found, step_id):
    return {way["label"]: way["friends"] for way in found["steps"][step_id]}


async def test_follow_trigger_counts_friends_following_now_by_route_and_period(store):
    db, _ = store
    everyone = await _reach(db, {"type": "follow"}, [WAIT])
    assert everyone["trigger"] == 5 and everyone["exact"] and everyone["steps"] == {}
    by_route = await _reach(db, {"type": "follow", "routes": ["qr"]}, [WAIT])
    assert by_route["trigger"] == 2  # A, B (E blocked)
    recent = {"type": "follow", "added_from": (NOW - timedelta(days=20)).isoformat()}
    assert (await _reach(db, recent, [WAIT]))["trigger"] == 4  # not D, added 40 days ago


async def test_branches_take_friends_by_attribute_tag_and_audience_first_match(store):
    db, qr = store
    branch = {
        "id": "b",
        "type": "branch",
        "branches": [
            {"label": "gold", "when": {"attribute": "plan", "equals": "gold"}, "steps": []},
            {"label": "vip", "when": {"tag": "vip"}, "steps": []},
            {"label": "qr", "when": {"audience": qr}, "steps": []},
        ],
        "otherwise": [],
    }
    found = await _reach(db, {"type": "follow"}, [branch])
    # A, C gold; B vip (also qr, taken first by vip); D vip; F nothing
    assert _counts(found, "b") == {"gold": 2, "vip": 2, "qr": 0, "otherwise": 1}


async def test_a_nested_branch_counts_the_friends_of_its_way_and_splits_by_weight(store):
    db, _ = store
    inner = {
        "id": "inner",
        "type": "branch",
        "branches": [{"label": "vip", "when": {"tag": "vip"}, "steps": []}],
    }
    split = {
        "id": "ab",
        "type": "split",
        "arms": [
            {"label": "A", "weight": 1, "steps": []},
            {"label": "B", "weight": 3, "steps": [{**inner, "id": "in_b"}]},
        ],
    }
    outer = {
        "id": "b",
        "type": "branch",
        "branches": [
            {"label": "gold", "when": {"attribute": "plan", "equals": "gold"}, "steps": [inner]}
        ],
        "otherwise": [split],
    }
    found = await _reach(db, {"type": "follow"}, [outer])
    assert _counts(found, "b") == {"gold": 2, "otherwise": 3}
    assert _counts(found, "inner") == {"vip": 0, "otherwise": 2}  # A and C: no tag
    assert found["steps"]["ab"] == [
        {"label": "A", "friends": 1, "share": 0.25},  # 3 × 1/4 ≈ 0.75
        {"label": "B", "friends": 2, "share": 0.75},  # 3 × 3/4 ≈ 2.25
    ]
    assert _counts(found, "in_b") == {"vip": 2, "otherwise": 1}  # B, D vip × 3/4, F × 3/4


async def test_audience_trigger_is_the_audiences_size(store):
    db, qr = store
    branch = {
        "id": "b",
        "type": "branch",
        "branches": [{"label": "gold", "when": {"attribute": "plan", "equals": "gold"}}],
    }
    found = await _reach(db, {"type": "audience", "audience": qr}, [branch])
    assert found["trigger"] == 3  # A, B, E: the audience counts a blocked friend too
    assert _counts(found, "b") == {"gold": 2, "otherwise": 1}


async def test_an_unknown_audience_trigger_is_refused(store):
    db, _ = store
    with pytest.raises(reach_service.UnknownAudience):
        await _reach(db, {"type": "audience", "audience": "aud_missing"}, [WAIT])


async def test_date_event_and_keyword_triggers(store):
    db, _ = store
    dated = await _reach(db, {"type": "date", "attribute": "birthday"}, [WAIT])
    assert dated["trigger"] == 2 and dated["exact"]  # A, F (C's is not a date)
    keyword = await _reach(db, {"type": "keyword", "keywords": ["クーポン"]}, [WAIT])
    assert keyword["trigger"] == 1  # A, within 30 days
    bought = await _reach(db, {"type": "event", "event": "purchase"}, [WAIT])
    assert bought["trigger"] == 2  # C, D (F's is older than 30 days)
    sku = {"type": "event", "event": "purchase", "properties": {"sku": "x"}}
    assert (await _reach(db, sku, [WAIT]))["trigger"] == 1  # C


async def test_a_large_population_is_sampled_and_scaled(store, monkeypatch):
    db, _ = store
    monkeypatch.setattr(counting, "SAMPLE", 2)
    branch = {
        "id": "b",
        "type": "branch",
        "branches": [{"label": "gold", "when": {"attribute": "plan", "equals": "gold"}}],
    }
    found = await _reach(db, {"type": "follow"}, [branch])
    assert found["trigger"] == 5 and not found["exact"] and found["sampled"] == 2
    # the first two by user ID, A (gold) and B: half of five each (2.5, rounded to even)
    assert _counts(found, "b") == {"gold": 2, "otherwise": 2}


async def test_a_date_rule_over_more_rows_than_it_reads_is_estimated(store, monkeypatch):
    db, _ = store
    monkeypatch.setattr(counting, "SCAN", 3)
    found = await _reach(db, {"type": "date", "attribute": "birthday"}, [WAIT])
    # A, B, C read: one in three has a date; five follow
    assert found == {**found, "trigger": 2, "exact": False}
