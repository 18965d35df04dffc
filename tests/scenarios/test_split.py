"""Stable A/B/n arms (`scenarios.split.choose_arm`): the same friend always lands in the same arm,
arms fill in proportion to their weights, and every split is drawn on its own."""

from collections import Counter

import pytest

from scenarios.split import choose_arm
from tests.support.stack import user

SCENARIO = "scn_5b2c9e1d0a7f"
FRIENDS = [user(n) for n in range(10_000)]


def arms_of(weights: list[int], *, scenario_id: str = SCENARIO, step_id: str = "ab") -> list[int]:
    return [
        choose_arm(weights, scenario_id=scenario_id, step_id=step_id, user_id=friend)
        for friend in FRIENDS
    ]


def test_the_same_friend_lands_in_the_same_arm_every_time() -> None:
    for friend in FRIENDS[:200]:
        picks = {
            choose_arm([50, 30, 20], scenario_id=SCENARIO, step_id="ab", user_id=friend)
            for _ in range(5)
        }
        assert len(picks) == 1
    assert arms_of([50, 30, 20]) == arms_of([50, 30, 20])


def test_the_answer_is_an_arm_index() -> None:
    assert set(arms_of([1, 1, 1, 1])) == {0, 1, 2, 3}
    assert set(arms_of([7])) == {0}


@pytest.mark.parametrize(
    "weights",
    [[50, 30, 20], [1, 1], [9, 1], [3, 3, 3], [10_000, 1, 5_000], [25, 25, 25, 25]],
    ids=str,
)
def test_arms_fill_in_proportion_to_their_weights(weights: list[int]) -> None:
    counts = Counter(arms_of(weights))
    total = sum(weights)
    for index, weight in enumerate(weights):
        share = counts[index] / len(FRIENDS)
        assert abs(share - weight / total) <= 0.02, (index, counts)


@pytest.mark.parametrize("weights", [[0, 1], [1, 0], [50, 0, 50], [0, 0, 3, 0], [0, 10_000]])
def test_a_weight_zero_arm_is_never_chosen(weights: list[int]) -> None:
    chosen = set(arms_of(weights))
    assert chosen == {index for index, weight in enumerate(weights) if weight > 0}


def test_a_tiny_weight_is_still_chosen_sometimes() -> None:
    counts = Counter(arms_of([9_999, 1]))
    assert counts[0] > 9_900  # about 1 in 10,000 lands in arm 1; it must be possible at all
    assert set(counts) <= {0, 1}


def _agreement(first: list[int], second: list[int]) -> float:
    return sum(a == b for a, b in zip(first, second, strict=True)) / len(first)


def test_different_steps_split_independently() -> None:
    first = arms_of([1, 1], step_id="ab")
    second = arms_of([1, 1], step_id="cd")
    assert first != second
    # independent halves agree about half the time, not always (nor never)
    assert abs(_agreement(first, second) - 0.5) <= 0.02
    # and the second split is still half and half within each arm of the first
    in_a = [b for a, b in zip(first, second, strict=True) if a == 0]
    assert abs(Counter(in_a)[0] / len(in_a) - 0.5) <= 0.03


def test_different_scenarios_split_independently() -> None:
    first = arms_of([1, 1], scenario_id=SCENARIO)
    second = arms_of([1, 1], scenario_id="scn_000000000001")
    assert abs(_agreement(first, second) - 0.5) <= 0.02


@pytest.mark.parametrize("weights", [[0, 0], [0], [], [0, 0, 0]])
def test_all_zero_weights_are_refused(weights: list[int]) -> None:
    with pytest.raises(ValueError, match="above 0"):
        choose_arm(weights, scenario_id=SCENARIO, step_id="ab", user_id=FRIENDS[0])
