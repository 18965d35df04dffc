"""The forecast's walk (scenarios/forecast.py): where an enrollment's messages fall from its
position — waits, windows, the channel's quiet hours and closed days, the ways of branches,
splits and wait_fors weighted as the friends before went."""

from datetime import UTC, datetime, timedelta

import pytest

from scenarios.definition import ScenarioDefinition
from scenarios.forecast import Position, Walk
from scenarios.policy import ChannelPolicy

NOW = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo, a Monday
HORIZON = datetime(2027, 2, 1, tzinfo=UTC)


def message(step_id: str, **more) -> dict:
    return {
        "id": step_id,
        "type": "message",
        "messages": [{"type": "text", "text": step_id}],
        **more,
    }


def wait(step_id: str, duration: str) -> dict:
    return {"id": step_id, "type": "wait", "duration": duration}


def definition(*steps: dict) -> ScenarioDefinition:
    return ScenarioDefinition.model_validate(
        {"name": "t", "trigger": {"type": "follow"}, "steps": list(steps)}
    )


def pushes(walk: Walk, position: Position) -> list[tuple[datetime, float]]:
    return sorted(walk.from_position(position))


def test_waits_add_up_and_a_window_moves_a_message_to_its_opening():
    walk = Walk(
        definition(
            message("hello"),
            wait("day", "P1D"),
            message("coupon", window={"start": "14:00", "end": "20:00"}),
            wait("week", "P7D"),
            message("bye"),
        ),
        None,
        NOW,
        HORIZON,
    )
    # waiting in `day`, waking tomorrow at 10:00 Tokyo: the coupon waits for 14:00
    found = pushes(walk, Position("day", "waiting", NOW + timedelta(days=1)))
    coupon = datetime(2026, 12, 8, 5, 0, tzinfo=UTC)
    assert found == [(coupon, 1.0), (coupon + timedelta(days=7), 1.0)]
    # not begun yet: everything from now
    assert pushes(walk, Position(None, "waiting", None))[0] == (NOW, 1.0)


def test_quiet_hours_and_closed_days_hold_like_the_send_activity():
    policy = ChannelPolicy(
        quiet_hours={"start": "21:00", "end": "09:00"}, closed_days=("2026-12-08",)
    )
    walk = Walk(definition(message("late")), policy, NOW, HORIZON)
    evening = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)  # 22:00 in Tokyo: quiet
    found = pushes(walk, Position("late", "held", evening))
    # the 8th is closed: the 9th at 09:00 Tokyo
    assert found == [(datetime(2026, 12, 9, 0, 0, tzinfo=UTC), 1.0)]
    silent = ChannelPolicy(
        quiet_hours={"start": "21:00", "end": "09:00"}, quiet_hours_mode="silent"
    )
    found = pushes(
        Walk(definition(message("late")), silent, NOW, HORIZON), Position("late", "held", evening)
    )
    assert found == [(evening, 1.0)]  # sent at once, silently


def test_a_split_goes_by_its_weights_and_a_branch_as_the_friends_before_went():
    steps = definition(
        {
            "id": "ab",
            "type": "split",
            "arms": [
                {"label": "A", "weight": 3, "steps": [message("a")]},
                {"label": "B", "weight": 1, "steps": [wait("later", "P2D"), message("b")]},
                {"label": "none", "weight": 0, "steps": [message("never")]},
            ],
        },
        {
            "id": "who",
            "type": "branch",
            "branches": [
                {
                    "label": "women",
                    "when": {"attribute": "gender", "equals": "female"},
                    "steps": [message("w")],
                },
            ],
            "otherwise": [],
        },
    )
    walk = Walk(steps, None, NOW, HORIZON, decided={"who": {"women": 0.25, "otherwise": 0.75}})
    found = pushes(walk, Position(None, "waiting", None))
    expected = [
        (NOW, 0.75 * 0.25),  # `w` for a quarter of arm A
        (NOW, 0.75),  # arm A's message
        (NOW + timedelta(days=2), 0.25 * 0.25),
        (NOW + timedelta(days=2), 0.25),  # arm B, two days on
    ]
    assert [moment for moment, _ in found] == [moment for moment, _ in expected]
    assert [share for _, share in found] == pytest.approx([share for _, share in expected])


def test_a_wait_for_times_out_unless_friends_before_took_then():
    steps = definition(
        {
            "id": "buy",
            "type": "wait_for",
            "until": {"event": "purchase"},
            "timeout": "P3D",
            "then": [message("thanks")],
            "on_timeout": [message("nudge")],
        },
        message("bye"),
    )
    waiting = Position("buy", "waiting", NOW + timedelta(days=2))  # entered a day ago
    alone = pushes(Walk(steps, None, NOW, HORIZON), waiting)
    assert alone == [(NOW + timedelta(days=2), 1.0), (NOW + timedelta(days=2), 1.0)]
    seen = {"buy": {"then": 0.4, "on_timeout": 0.6}}
    found = pushes(Walk(steps, None, NOW, HORIZON, decided=seen), waiting)
    later = NOW + timedelta(days=2)
    assert [moment for moment, _ in found] == [NOW, NOW, later, later]
    assert [share for _, share in found] == pytest.approx([0.4, 0.4, 0.6, 0.6])


def test_nothing_past_the_horizon_and_a_switch_ends_the_walk():
    walk = Walk(
        definition(message("now"), wait("long", "P90D"), message("too-late")),
        None,
        NOW,
        HORIZON,
    )
    assert pushes(walk, Position(None, "waiting", None)) == [(NOW, 1.0)]
    switched = Walk(
        definition(message("first"), {"id": "go", "type": "switch", "scenario": "other"}),
        None,
        NOW,
        HORIZON,
    )
    assert pushes(switched, Position(None, "waiting", None)) == [(NOW, 1.0)]


def test_a_wait_until_a_friends_date():
    walk = Walk(
        definition(
            {"id": "bday", "type": "wait", "until": {"attribute": "birthday", "offset": "-P7D"}},
            message("soon"),
        ),
        None,
        NOW,
        HORIZON,
        date_of=lambda name: "2026-12-25" if name == "birthday" else None,
    )
    # 7 days before the 25th, at 10:00 Tokyo (the DateUntil's default `at`)
    assert pushes(walk, Position(None, "waiting", None)) == [
        (datetime(2026, 12, 18, 1, 0, tzinfo=UTC), 1.0)
    ]
