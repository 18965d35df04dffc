"""Running a scenario from its page: activate, pause, resume (with the spread), end — the same
lifecycle the admin API's routes call, each post with the session's form token."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Response
from fastapi.responses import RedirectResponse

from api.dashboard.auth import require_viewer
from api.dashboard.csrf import require_form_token
from api.dashboard.i18n import N_
from api.dashboard.web import PageError, PageRoute
from api.deps import ServicesDep
from app import lifecycle
from app.errors import Conflict, NotFound
from domain.durations import period_of

router = APIRouter(
    route_class=PageRoute, dependencies=[Depends(require_viewer), Depends(require_form_token)]
)
ACTIONS = ("activate", "pause", "resume", "end")
DEFAULT_SPREAD = "PT5M"


@router.post("/dashboard/scenarios/{scenario_id}/{action}")
async def change_status(
    services: ServicesDep,
    scenario_id: str,
    action: str,
    spread: Annotated[str, Form(max_length=20)] = DEFAULT_SPREAD,
) -> Response:
    if action not in ACTIONS:
        raise PageError(
            404,
            N_("There is no action %(action)s: %(actions)s."),
            action=repr(action),
            actions=", ".join(ACTIONS),
        )
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
    return RedirectResponse(f"/dashboard/scenarios/{scenario_id}", status_code=303)
