"""LINE's テスト配信 from a scenario's page: one message step now, or the whole scenario with its
waits cut short, to the friends tagged as testers — the same test send as the admin API's
`POST /scenarios/{id}/test-sends` (app/test_sends.py), never counted anywhere; then a page that
follows the testers' runs."""

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from api.dashboard.auth import require_viewer
from api.dashboard.csrf import require_form_token
from api.dashboard.i18n import N_
from api.dashboard.web import PageError, PageRoute, environment, render
from api.deps import ServicesDep
from app import test_sends
from app.errors import Conflict, Invalid, NotFound
from domain.steps import MessageStep, SurveyStep, walk_steps
from scenarios.definition import ScenarioDefinition
from scenarios.validate import DefinitionError
from store import operations
from store.test_send_table import TestSend
from store.test_sends import runs_of

router = APIRouter(route_class=PageRoute, dependencies=[Depends(require_viewer)])
DEFAULT_TAG = "tester"


def sendable_steps(definition: ScenarioDefinition) -> list[str]:
    """The steps a test can send alone: message and survey steps."""
    return [
        step.id
        for _, step in walk_steps(definition.steps)
        if isinstance(step, MessageStep | SurveyStep)
    ]


environment.globals["sendable_steps"] = sendable_steps  # the scenario page's test-send form


@router.post(
    "/dashboard/scenarios/{scenario_id}/test-sends", dependencies=[Depends(require_form_token)]
)
async def test_send(
    services: ServicesDep,
    scenario_id: str,
    mode: Annotated[str, Form(max_length=10)] = "step",
    step: Annotated[str, Form(max_length=64)] = "",
    tag: Annotated[str, Form(max_length=100)] = DEFAULT_TAG,
    wait_scale: Annotated[str, Form(max_length=20)] = "PT5S",
) -> Response:
    if mode not in ("step", "walk"):
        raise PageError(422, N_("must be step or walk"), "mode")
    walk = mode == "walk"
    ask = test_sends.TestAsk(
        step=None if walk else (step or None),
        walk=walk,
        tag=tag.strip() or None,
    )
    async with services.db.session() as session:
        try:
            wait = test_sends.wait_scale(wait_scale or None) if walk else None
            ask = dataclasses.replace(ask, wait=wait)
            accepted = await test_sends.request(session, scenario_id, ask)
        except Invalid as exc:
            first = exc.problems[0]
            raise PageError(422, first["msg"], first["path"]) from None
        except DefinitionError as exc:
            first = exc.errors[0]
            raise PageError(422, first["msg"], first["path"]) from None
        except NotFound as exc:
            raise PageError(404, str(exc)) from None
        except Conflict as exc:
            raise PageError(409, str(exc)) from None
    return RedirectResponse(f"/dashboard/test-sends/{accepted.test.seq}", status_code=303)


@router.get("/dashboard/test-sends/{test_id}")
async def test_send_page(request: Request, services: ServicesDep, test_id: int) -> Response:
    """Who the test went to, and how far its runs have got."""
    async with services.db.reading() as session:
        test = await session.get(TestSend, test_id)
        if test is None:
            raise PageError(404, N_("There is no test send %(id)s."), id=test_id)
        operation = await operations.get(session, test.operation_id)
    context = {"test": test, "operation": operation, "runs": runs_of(test)}
    return render(request, "test_send.html", context)
