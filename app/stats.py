"""A scenario's numbers (`GET /scenarios/{id}/stats`, the dashboard's pages, `stepline stats`
through the API) and the CSV file they download as."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from store import stats
from store.stats_csv import stats_csv
from store.stats_models import ScenarioStats
from store.tables import Scenario


async def numbers(
    session: AsyncSession,
    scenario: Scenario,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> ScenarioStats:
    """Of the enrollments started in [start, end) (either open)."""
    return await stats.scenario_stats(session, scenario=scenario, start=start, end=end)


async def summary(session: AsyncSession, scenario: Scenario) -> dict[str, Any]:
    """Every enrollment's numbers as JSON values; {} when the scenario's current version is
    missing (the scenario is listed, without numbers)."""
    try:
        return (await numbers(session, scenario)).model_dump(mode="json")
    except LookupError:
        return {}


@dataclass(frozen=True)
class CsvFile:
    filename: str
    content: str


def csv_file(scenario_id: str, found: ScenarioStats) -> CsvFile:
    """`stats-{scenario_id}.csv`, with a BOM: Excel then reads the UTF-8 labels (Japanese
    ones) as UTF-8."""
    return CsvFile(f"stats-{scenario_id}.csv", "\ufeff" + stats_csv(found))
