"""What messages cost (issue 22): counted messages reckoned at the channel policy's
`message_price_yen`, and for each split step with a holdout arm (`steps: []`) the conversions
its other arms made beyond the holdout's rate, and what each of those cost."""

from collections.abc import Iterable

from domain.steps import SplitStep, walk_steps
from scenarios.definition import ScenarioDefinition
from store.stats_models import BranchStats, HoldoutStats


def yen(count: int | float, price: float | None) -> float | None:
    """count × price, rounded to 0.01 yen; None when no price is set."""
    return None if price is None else round(count * price, 2)


def holdouts(
    definition: ScenarioDefinition,
    branches: list[BranchStats],
    counted: dict[str, int],
    price: float | None,
) -> list[HoldoutStats]:
    """One entry per holdout arm of each split step that has arms which send, when the
    scenario has a goal; `counted`: counted messages by step id."""
    if definition.goal is None:
        return []
    ways = {(row.step, row.label): row for row in branches}
    found = []
    for _, step in walk_steps(definition.steps):
        if not isinstance(step, SplitStep):
            continue
        treated = [arm for arm in step.arms if arm.steps]
        if not treated:
            continue
        for arm in step.arms:
            if arm.steps:
                continue
            held = ways.get((step.id, arm.label))
            treated_ways = [ways.get((step.id, t.label)) for t in treated]
            pushed = sum(
                counted.get(inner.id, 0) for t in treated for _, inner in walk_steps(t.steps)
            )
            found.append(
                _holdout(step.id, arm.label, held, treated_ways, [t.label for t in treated])
                | {"counted": pushed}
            )
    return [_priced(entry, price) for entry in found]


def _holdout(
    step: str,
    label: str,
    held: BranchStats | None,
    treated: Iterable[BranchStats | None],
    labels: list[str],
) -> dict:
    rows = [row for row in treated if row is not None]
    held_taken = held.taken if held else 0
    held_converted = (held.conversions or 0) if held else 0
    taken = sum(row.taken for row in rows)
    converted = sum(row.conversions or 0 for row in rows)
    held_rate = held_converted / held_taken if held_taken else None
    return {
        "step": step,
        "holdout": label,
        "holdout_taken": held_taken,
        "holdout_conversions": held_converted,
        "holdout_rate": held_rate,
        "treated": labels,
        "treated_taken": taken,
        "treated_conversions": converted,
        "treated_rate": converted / taken if taken else None,
        "incremental_conversions": (
            None if held_rate is None else round(converted - held_rate * taken, 4)
        ),
    }


def _priced(entry: dict, price: float | None) -> HoldoutStats:
    cost = yen(entry["counted"], price)
    incremental = entry["incremental_conversions"]
    per = None
    if cost is not None and incremental is not None and incremental > 0:
        per = round(cost / incremental, 2)
    return HoldoutStats(**entry, cost_yen=cost, cost_per_incremental_conversion=per)
