"""Stable A/B/n arms: the same friend lands in the same arm of a split every time."""

import hashlib


def choose_arm(weights: list[int], *, scenario_id: str, step_id: str, user_id: str) -> int:
    """The arm index for this friend: a hash of (scenario, step, friend) spread over the total
    weight, so arms fill in proportion to their weights and a re-entry lands where it did."""
    total = sum(weights)
    if total <= 0:
        raise ValueError("at least one weight must be above 0")
    digest = hashlib.sha256(f"{scenario_id}/{step_id}/{user_id}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") % total
    for index, weight in enumerate(weights):
        if point < weight:
            return index
        point -= weight
    raise AssertionError("unreachable")
