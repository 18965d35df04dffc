"""A template's page, where the studio's start sends an operator who opens a template whose
scenario is there already (app/templates.twin, as `POST /templates/{name}/scenarios` finds
it): that scenario to open — or, a draft, to activate — and a second one only on purpose."""

from fastapi import APIRouter, Depends, Request, Response

from api.dashboard.auth import require_viewer
from api.dashboard.web import PageError, PageRoute, render
from api.deps import ServicesDep
from app import templates
from app.errors import NotFound
from app.studio import service

router = APIRouter(route_class=PageRoute, dependencies=[Depends(require_viewer)])


@router.get("/dashboard/templates/{name}")
async def template_page(request: Request, services: ServicesDep, name: str) -> Response:
    try:
        path = templates.path_of(name)
    except NotFound as exc:
        raise PageError(404, str(exc), "template") from None
    found = {"name": name, "title": templates.document(name)["name"]}
    found["description"] = templates.description(path)
    async with services.db.reading() as session:
        twin = await service.twin_of(session, name)
    return render(request, "template.html", {"template": found, "twin": twin})
