"""A month-long scenario on the time-skipping server: what was sent, to whom, and when."""

from datetime import datetime, timedelta

from sqlmodel import col, select

from core.windows import next_opening
from store.tables import Delivery
from tests.support.stack import user

FOLLOW_UP = {
    "name": "New friend follow-up",
    "timezone": "Asia/Tokyo",
    "trigger": {"type": "follow"},
    "steps": [
        {"id": "welcome", "type": "message", "messages": [{"type": "text", "text": "Welcome"}]},
        {"id": "wait-1d", "type": "wait", "duration": "P1D"},
        {
            "id": "coupon",
            "type": "message",
            "window": {"start": "10:00", "end": "20:00"},
            "messages": [{"type": "text", "text": "Coupon"}],
        },
        {"id": "wait-30d", "type": "wait", "duration": "P30D"},
        {
            "id": "split",
            "type": "branch",
            "branches": [
                {
                    "label": "women in their 20s",
                    "when": {
                        "all": [
                            {"attribute": "gender", "equals": "female"},
                            {"attribute": "age", "between": [20, 29]},
                        ]
                    },
                    "steps": [
                        {"id": "a", "type": "message", "messages": [{"type": "text", "text": "A"}]}
                    ],
                },
                {
                    "label": "gold",
                    "when": {"attribute": "plan", "equals": "gold"},
                    "steps": [
                        {"id": "b", "type": "message", "messages": [{"type": "text", "text": "B"}]}
                    ],
                },
            ],
            "otherwise": [
                {"id": "c", "type": "message", "messages": [{"type": "text", "text": "C"}]}
            ],
        },
    ],
}


async def planned(stack, user_id: str) -> dict[str, datetime]:
    async with stack.db.session() as session:
        rows = await session.exec(
            select(Delivery).where(Delivery.user_id == user_id).order_by(col(Delivery.planned_at))
        )
        return {row.step_id: row.planned_at for row in rows}


async def test_a_month_of_scenario_in_seconds(any_stack):
    stack = any_stack
    scenario_id = await stack.scenario(FOLLOW_UP)
    woman, gold, other = user(1), user(2), user(3)
    await stack.api.put(f"/friends/{woman}/attributes", json={"gender": "female", "age": 27})
    await stack.api.put(f"/friends/{gold}/attributes", json={"plan": "gold", "age": "41"})
    started = await stack.env.get_current_time()
    for friend in (woman, gold, other):
        await stack.follow(friend)

    for friend in (woman, gold, other):
        result = await stack.outcome(scenario_id, friend)
        assert result.status == "completed"

    assert await stack.texts(woman) == ["Welcome", "Coupon", "A"]
    assert await stack.texts(gold) == ["Welcome", "Coupon", "B"]
    assert await stack.texts(other) == ["Welcome", "Coupon", "C"]

    times = await planned(stack, woman)
    assert times["welcome"] - started < timedelta(minutes=1)
    coupon_due = next_opening(times["welcome"] + timedelta(days=1), "Asia/Tokyo", "10:00", "20:00")
    assert abs(times["coupon"] - coupon_due) < timedelta(seconds=5)
    assert abs(times["a"] - (times["coupon"] + timedelta(days=30))) < timedelta(seconds=5)
