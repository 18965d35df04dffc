"""The scenario list (`/`) and a scenario's page: its numbers, step graph, funnel, arms and
enrollments, and its stats as CSV for the browser (the admin API's own CSV asks for the bearer
header)."""

import re
from typing import Annotated, Any, get_args
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlmodel.ext.asyncio.session import AsyncSession

from api.dashboard import graph
from api.dashboard.auth import require_viewer
from api.dashboard.i18n import N_
from api.dashboard.period import parse_period
from api.dashboard.web import (
    PageError,
    PageRoute,
    live_url,
    render,
    render_off_loop,
    temporal_link,
    wants_fragment,
)
from api.deps import ServicesDep
from api.downloads import csv_download
from app import lifecycle, overlaps
from app import stats as stats_service
from app.errors import NotFound
from domain.statuses import Status
from scenarios.definition import ScenarioDefinition
from store import drafts, enrollments, operations, scenarios
from store.tables import Scenario

router = APIRouter(route_class=PageRoute, dependencies=[Depends(require_viewer)])
SCENARIO_ID = re.compile(r"^[A-Za-z0-9_\-]{1,32}$")
STATUSES = get_args(Status)
PAGE_SIZE = 50
MAX_PAGE = 100_000
Fragment = Annotated[str | None, Query(max_length=20)]


@router.get("/")
async def scenario_list(request: Request, services: ServicesDep, fragment: Fragment = None):
    """Every scenario with its status and key numbers."""
    live = wants_fragment(fragment)
    rows = []
    async with services.db.reading() as session:
        for scenario in await scenarios.list_scenarios(session):
            # a scenario without its current version: listed, no numbers
            rows.append(
                {"scenario": scenario, "stats": await stats_service.summary(session, scenario)}
            )
        open_drafts = await drafts.open_ones(session, None)
        found = await overlaps.everywhere(session)  # follow scenarios taking the same friends
    context = {
        "rows": rows,
        "live_url": live_url(request),
        "drafts": open_drafts,
        "overlaps": found,
    }
    return render(request, "_scenarios_live.html" if live else "scenarios.html", context)


async def _scenario(session: AsyncSession, scenario_id: str) -> tuple[Scenario, ScenarioDefinition]:
    missing = PageError(404, N_("There is no scenario %(id)s."), id=repr(scenario_id))
    if not SCENARIO_ID.match(scenario_id):
        raise missing
    try:
        found = await lifecycle.find(session, scenario_id)
    except NotFound:
        raise missing from None
    try:
        return found, await lifecycle.definition_of(session, found)
    except NotFound as exc:
        raise PageError(404, str(exc)) from None


def _status(value: str | None) -> str | None:
    if not value:
        return None
    if value not in STATUSES:
        raise PageError(
            422,
            N_("must be one of %(statuses)s (or empty: all)"),
            "status",
            statuses=", ".join(STATUSES),
        )
    return value


@router.get("/dashboard/scenarios/{scenario_id}")
async def scenario_page(
    request: Request,
    scenario_id: str,
    services: ServicesDep,
    from_: Annotated[str | None, Query(alias="from", max_length=100)] = None,
    to: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    fragment: Fragment = None,
) -> Response:
    """Numbers, step graph, funnel, arms and enrollments of one scenario."""
    live = wants_fragment(fragment)
    settings = services.settings
    async with services.db.reading() as session:
        scenario, definition = await _scenario(session, scenario_id)
        period = parse_period(from_, to, definition.timezone)
        wanted = _status(status)
        found = await stats_service.numbers(session, scenario, start=period.start, end=period.end)
        numbers = found.model_dump(mode="json")
        rows = await enrollments.list_enrollments(
            session,
            scenario_id=scenario.id,
            status=wanted,
            limit=PAGE_SIZE + 1,
            offset=(page - 1) * PAGE_SIZE,
        )
        recent = await operations.of_scenario(session, scenario.id, limit=5)
        open_drafts = await drafts.open_ones(session, scenario.id)
        found = await overlaps.of_scenario(session, scenario)
    context = {
        "overlaps": found,  # follow scenarios taking the same new friends
        "scenario": scenario,
        "definition": definition,
        "zone": definition.timezone,  # its times in its own timezone
        "stats": numbers,
        "graph": graph.step_graph(definition, numbers),
        "older_steps": graph.older_steps(definition, numbers),
        "funnel": graph.funnel(definition, numbers),
        "arms": graph.arm_tables(numbers),
        "period": period,
        "filters": {"from": from_ or "", "to": to or "", "status": wanted or ""},
        "statuses": STATUSES,
        "enrollments": [
            {"row": row, "temporal": temporal_link(settings, row.id)} for row in rows[:PAGE_SIZE]
        ],
        "page": page,
        "more": len(rows) > PAGE_SIZE,
        "operations": recent,  # pause, resume… and how far they got
        "drafts": open_drafts,  # studio drafts of it, not saved yet
        "live_url": live_url(request),
        "csv_url": _url(f"/dashboard/scenarios/{scenario.id}/stats.csv", period.query()),
        "api_stats_url": _url(f"/scenarios/{scenario.id}/stats", period.query()),
        "page_url": lambda n: _url(request.url.path, _filters(from_, to, wanted) | {"page": n}),
    }
    return await render_off_loop(
        request, "_scenario_live.html" if live else "scenario.html", context
    )


def _filters(start: str | None, end: str | None, status: str | None) -> dict[str, Any]:
    found = {"from": start, "to": end, "status": status}
    return {name: value for name, value in found.items() if value}


def _url(path: str, params: dict[str, Any]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


@router.get("/dashboard/scenarios/{scenario_id}/stats.csv")
async def stats_csv(
    scenario_id: str,
    services: ServicesDep,
    from_: Annotated[str | None, Query(alias="from", max_length=100)] = None,
    to: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The stats as CSV, as `GET /scenarios/{id}/stats?format=csv` answers them."""
    async with services.db.reading() as session:
        scenario, definition = await _scenario(session, scenario_id)
        period = parse_period(from_, to, definition.timezone)
        found = await stats_service.numbers(session, scenario, start=period.start, end=period.end)
    return csv_download(stats_service.csv_file(scenario.id, found))
