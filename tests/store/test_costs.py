"""store/costs.py on its own: a split's holdout against its treated arms (nested steps
counted), a holdout nobody was put in, fewer conversions than the holdout's rate, no price, no
goal, and a split without a holdout."""

from scenarios.definition import ScenarioDefinition
from store.costs import holdouts, yen
from store.stats_models import BranchStats

GOAL = {"event": "purchase", "within": "P7D"}


def text(step_id: str) -> dict:
    return {"id": step_id, "type": "message", "messages": [{"type": "text", "text": step_id}]}


def definition(*arms: dict, goal: dict | None = GOAL) -> ScenarioDefinition:
    split = {"id": "ab", "type": "split", "arms": list(arms)}
    data = {"name": "n", "trigger": {"type": "follow"}, "steps": [text("hi"), split, text("bye")]}
    return ScenarioDefinition.model_validate(data | ({"goal": goal} if goal else {}))


NESTED = {
    "id": "more",
    "type": "branch",
    "branches": [{"label": "vip", "when": {"tag": "vip"}, "steps": [text("deep")]}],
}
TWO_TREATED = definition(
    {"label": "A", "weight": 1, "steps": [text("a"), NESTED]},
    {"label": "B", "weight": 1, "steps": [text("b")]},
    {"label": "none", "weight": 1, "steps": []},
)
COUNTED = {"hi": 100, "a": 10, "deep": 4, "b": 6, "bye": 100}


def ways(taken: dict[str, int], converted: dict[str, int]) -> list[BranchStats]:
    return [
        BranchStats(step="ab", label=label, taken=n, conversions=converted.get(label, 0))
        for label, n in taken.items()
    ]


def test_the_treated_arms_together_against_the_holdout():
    branches = ways({"A": 10, "B": 10, "none": 10}, {"A": 4, "B": 3, "none": 2})
    [found] = holdouts(TWO_TREATED, branches, COUNTED, 3.0)
    assert found.model_dump() == {
        "step": "ab",
        "holdout": "none",
        "holdout_taken": 10,
        "holdout_conversions": 2,
        "holdout_rate": 0.2,
        "treated": ["A", "B"],
        "treated_taken": 20,
        "treated_conversions": 7,
        "treated_rate": 0.35,
        "incremental_conversions": 3.0,  # 7 − 0.2 × 20
        "counted": 20,  # a, deep (nested in A) and b; not hi nor bye
        "cost_yen": 60.0,
        "cost_per_incremental_conversion": 20.0,
    }


def test_nobody_held_out_fewer_conversions_than_the_holdout_and_no_price():
    [empty] = holdouts(TWO_TREATED, ways({"A": 3, "B": 2}, {"A": 1}), COUNTED, 3.0)
    assert (empty.holdout_taken, empty.holdout_rate, empty.incremental_conversions) == (
        0,
        None,
        None,
    )
    assert (empty.cost_yen, empty.cost_per_incremental_conversion) == (60.0, None)
    branches = ways({"A": 10, "B": 10, "none": 10}, {"A": 1, "B": 1, "none": 5})
    [worse] = holdouts(TWO_TREATED, branches, COUNTED, 3.0)
    assert worse.incremental_conversions == -8.0  # 2 − 0.5 × 20
    assert worse.cost_per_incremental_conversion is None
    [unpriced] = holdouts(TWO_TREATED, ways({"A": 1, "none": 1}, {"A": 1}), COUNTED, None)
    assert unpriced.incremental_conversions == 1.0
    assert (unpriced.cost_yen, unpriced.cost_per_incremental_conversion) == (None, None)


def test_no_goal_or_no_holdout_arm_gives_no_entry():
    arms = [{"label": "A", "weight": 1, "steps": [text("a")]}, {"label": "x", "weight": 1}]
    assert holdouts(definition(*arms, goal=None), ways({"A": 1, "x": 1}, {}), {}, 3.0) == []
    both_send = definition(
        {"label": "A", "weight": 1, "steps": [text("a")]},
        {"label": "B", "weight": 1, "steps": [text("b")]},
    )
    assert holdouts(both_send, ways({"A": 1, "B": 1}, {}), {}, 3.0) == []
    all_held = definition({"label": "x", "weight": 1}, {"label": "y", "weight": 1})
    assert holdouts(all_held, ways({"x": 1, "y": 1}, {}), {}, 3.0) == []


def test_yen_rounds_to_a_hundredth_and_is_null_without_a_price():
    assert (yen(3, 2.8), yen(0, 3.0), yen(7, None)) == (8.4, 0.0, None)
