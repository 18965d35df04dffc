"""A run repeats each phase and reports the median of each figure, with its spread (the
lowest and the highest), so that one noisy run decides nothing (docs/PERFORMANCE.md)."""

import statistics
from typing import Any

from bench.measure import Figures


def median(runs: list[Figures]) -> Figures:
    """Each figure the median of the runs' (CPU per process too, process by process)."""
    first = runs[0].model_dump()
    values: dict[str, Any] = {}
    for field, value in first.items():
        if isinstance(value, dict):
            values[field] = {
                key: _median([run.model_dump()[field].get(key) for run in runs]) for key in value
            }
        else:
            values[field] = _median([getattr(run, field) for run in runs])
    return Figures(**values)


def spread(runs: list[Figures]) -> dict[str, list[float]]:
    """[lowest, highest] of each numeric figure over the runs."""
    ranges: dict[str, list[float]] = {}
    for field, value in runs[0].model_dump().items():
        numbers = [getattr(run, field) for run in runs if getattr(run, field) is not None]
        if isinstance(value, int | float) and numbers:
            ranges[field] = [min(numbers), max(numbers)]
    return ranges


def _median(values: list) -> Any:
    numbers = [value for value in values if value is not None]
    if not numbers:
        return None
    middle = statistics.median(numbers)
    return type(numbers[0])(middle) if isinstance(numbers[0], int) else round(middle, 3)
