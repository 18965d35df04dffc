"""Running a scenario from its page: activate, pause, resume (with the spread), end — the same
lifecycle the admin API's routes call, each post with the session's form token. Ending cannot
be undone, so it is asked first: a page that says how many friends' enrollments it ends, whose
form is the only one that ends it (an end posted without it comes back to that page)."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from api.dashboard.auth import require_viewer
from api.dashboard.csrf import require_form_token
from api.dashboard.i18n import N_
from api.dashboard.web import PageError, PageRoute, render
from api.deps import ServicesDep
from app import lifecycle
from app.errors import Conflict, NotFound
from domain.durations import period_of

router = APIRouter(route_class=PageRoute, dependencies=[Depends(require_viewer)])
ACTIONS = ("activate", "pause", "resume", "end")
ENDABLE = ("active", "paused")
DEFAULT_SPREAD = "PT5M"
CONFIRMED = "yes"  # the confirmation page's `confirmed` field


@router.get("/dashboard/scenarios/{scenario_id}/end")
async def confirm_end(request: Request, services: ServicesDep, scenario_id: str) -> Response:
    """Before ending: what it does, and to how many friends on their way through it now."""
    async with services.db.reading() as session:
        try:
            scenario = await lifecycle.find(session, scenario_id)
            if scenario.status not in ENDABLE:
                raise PageError(
                    409,
                    N_("Only an active or paused scenario can be ended; this one is %(now)s."),
                    now=scenario.status,
                )
            running = await lifecycle.running(session, scenario)
        except NotFound as exc:
            raise PageError(404, str(exc)) from None
    return render(request, "scenario_end.html", {"scenario": scenario, "running": running})


@router.post(
    "/dashboard/scenarios/{scenario_id}/{action}", dependencies=[Depends(require_form_token)]
)
async def change_status(
    services: ServicesDep,
    scenario_id: str,
    action: str,
    spread: Annotated[str, Form(max_length=20)] = DEFAULT_SPREAD,
    confirmed: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    if action not in ACTIONS:
        raise PageError(
            404,
            N_("There is no action %(action)s: %(actions)s."),
            action=repr(action),
            actions=", ".join(ACTIONS),
        )
    back = f"/dashboard/scenarios/{scenario_id}"
    if action == "end" and confirmed != CONFIRMED:
        return RedirectResponse(f"{back}/end", status_code=303)
    try:
        period = period_of(spread or DEFAULT_SPREAD, timedelta(days=1))
    except ValueError as exc:
        raise PageError(422, str(exc), "spread") from None
    async with services.db.session() as session:
        try:
            await lifecycle.transition(
                session, services.definitions, scenario_id, action, spread=period
            )
        except NotFound as exc:
            raise PageError(404, str(exc)) from None
        except Conflict as exc:
            raise PageError(409, str(exc)) from None
    return RedirectResponse(back, status_code=303)
