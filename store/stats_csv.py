"""Scenario stats as a CSV file: a row per step (with its counted messages and their cost), then a
row per branch, split arm and way."""

import csv
import io
from typing import Any

from store.stats_models import ScenarioStats

CSV_COLUMNS = [
    "kind",
    "step",
    "type",
    "label",
    "entered",
    "sent",
    "failed",
    "clicks",
    "unique_clicks",
    "conversions",
    "blocked",
    "taken",
    "conversion_rate",
    "p_value",
    "replies",
    "counted",
    "cost_yen",
    "saved_yen",
]
_FORMULA = ("=", "+", "-", "@", "\t", "\r")  # a cell a spreadsheet would run as a formula


def stats_csv(stats: ScenarioStats) -> str:
    """One row per step (`kind` step), then one per branch, split arm and wait_for way (`kind`
    branch, with the p-value of its step's test); an empty cell is a null."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for step in stats.steps:
        writer.writerow(
            _cells(
                kind="step",
                step=step.id,
                type=step.type,
                entered=step.entered,
                sent=step.sent,
                failed=step.failed,
                clicks=step.clicks,
                unique_clicks=step.unique_clicks,
                conversions=step.conversions,
                blocked=step.blocked,
                replies=step.replies,
                counted=step.counted,
                cost_yen=step.cost_yen,
                saved_yen=step.saved_yen,
            )
        )
    p_values = {test.step: test.p_value for test in stats.tests}
    for branch in stats.branches:
        writer.writerow(
            _cells(
                kind="branch",
                step=branch.step,
                type=branch.type,
                label=branch.label,
                taken=branch.taken,
                conversions=branch.conversions,
                conversion_rate=branch.conversion_rate,
                p_value=p_values.get(branch.step),
            )
        )
    return out.getvalue()


def _cells(**values: Any) -> dict[str, str]:
    cells = {}
    for name, value in values.items():
        text = "" if value is None else str(value)
        cells[name] = "'" + text if text.startswith(_FORMULA) else text
    return cells
