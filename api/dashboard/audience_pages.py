"""Audiences: the list with each one's kind and size now, a form that creates any of the six
kinds (checked by the admin API's own models: app/audience_kinds.py), one audience's page, and
an upload audience's members from a file — added a chunk a transaction (app/audiences.py), so
a file of 100,000 user IDs holds up no other request."""

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import FormData

from api.dashboard.auth import require_viewer
from api.dashboard.csrf import require_form_token
from api.dashboard.forms import Problems, file_bytes, not_found, posted, problems_of, text
from api.dashboard.i18n import N_
from api.dashboard.web import PageError, PageRoute, render
from api.deps import ServicesDep
from app import audience_file, audiences
from app.audience_kinds import AUDIENCE, BODIES
from app.errors import Conflict, Invalid, NotFound
from store.import_csv import convert
from store.import_problems import ImportInvalid

router = APIRouter(route_class=PageRoute, dependencies=[Depends(require_viewer)])
posts = [Depends(require_form_token)]
# the form's fields beyond name and kind, and the kinds each is for
FIELDS = {
    "file": ("upload",),
    "scenario": ("clicked", "delivered"),
    "step": ("clicked", "delivered"),
    "tag": ("tag",),
    "route": ("route",),
    "event": ("event",),
    "properties": ("event",),
    "within": ("clicked", "delivered", "event"),
}
NO_PAIR = N_("write one property a line as name=value")


def _properties(typed: str, problems: Problems) -> dict[str, Any]:
    """`name=value` a line; values read as the CSV import reads cells (27, 1.5, true)."""
    found: dict[str, Any] = {}
    for line in typed.splitlines():
        if not line.strip():
            continue
        name, equals, value = line.partition("=")
        if not equals or not name.strip():
            problems["properties"] = NO_PAIR
            return {}
        found[name.strip()] = convert(value.strip())
    return found


def _body(form: FormData, problems: Problems) -> dict[str, Any]:
    """What `POST /audiences` would be sent: the name, the kind, and that kind's fields
    that were filled in (another kind's fields are left out, as an API client leaves them)."""
    kind = text(form, "kind", problems)
    body: dict[str, Any] = {"name": text(form, "name", problems, strip=False), "kind": kind}
    for field, kinds in FIELDS.items():
        if kind not in kinds or field == "file":
            continue
        typed = text(form, field, problems)
        if field == "properties":
            if typed:
                body["properties"] = _properties(typed, problems)
        elif typed:
            body[field] = typed
    if not kind:
        del body["kind"]  # reported as missing, as the API reports a body without one
    return body


def _typed(form: FormData) -> dict[str, str]:
    """The form's text fields as typed, to show them again."""
    return {name: value for name, value in form.items() if isinstance(value, str)}


async def _list(request: Request, services, form: dict, problems: Problems, status: int):
    async with services.db.reading() as session:
        found = await audiences.listed(session)
    context = {
        "audiences": found,
        "kinds": list(BODIES),
        "fields": FIELDS,
        "form": form,
        "problems": problems,
    }
    return render(request, "audiences.html", context, status)


@router.get("/dashboard/audiences")
async def audience_list(request: Request, services: ServicesDep) -> Response:
    """Every audience with its kind and size now, and the form that creates one."""
    return await _list(request, services, {"kind": "upload"}, {}, 200)


async def _members_of(form: FormData, problems: Problems) -> list[str] | None:
    data = await file_bytes(form)
    if data is None:
        return None
    try:
        return await asyncio.to_thread(audience_file.user_ids, data)
    except ImportInvalid as invalid:
        problems["file"] = "; ".join(f"{p['path']}: {p['msg']}" for p in invalid.problems[:5])
        return None


@router.post("/dashboard/audiences", dependencies=posts)
async def create_audience(request: Request, services: ServicesDep) -> Response:
    """Create an audience as `POST /audiences` does; an upload audience's file is added as
    `PUT /audiences/{id}/members` adds, a chunk at a time."""
    form = await posted(request)
    problems: Problems = {}
    body = _body(form, problems)
    members = await _members_of(form, problems) if body.get("kind") == "upload" else None
    try:
        checked = AUDIENCE.validate_python(body)
    except ValidationError as error:
        problems = problems_of(error, tagged=" audience") | problems
    if problems:
        return await _list(request, services, _typed(form), problems, 422)
    try:
        async with services.db.session() as session:
            audience, _ = await audiences.create(session, checked)
    except Invalid as invalid:
        problems = {p["path"]: p["msg"] for p in invalid.problems}
        return await _list(request, services, _typed(form), problems, 422)
    if members:
        await audiences.add_members_in_chunks(services.db, audience.id, members)
    return RedirectResponse(f"/dashboard/audiences/{audience.id}", status_code=303)


async def _page(request: Request, services, audience_id: str, problems: Problems, status: int):
    async with services.db.reading() as session:
        try:
            audience = await audiences.read(session, audience_id)
        except NotFound as exc:
            raise not_found(str(exc)) from None
    return render(request, "audience.html", {"audience": audience, "problems": problems}, status)


@router.get("/dashboard/audiences/{audience_id}")
async def audience_page(request: Request, services: ServicesDep, audience_id: str) -> Response:
    """One audience: its kind, what it holds, its size now; an upload audience's file form."""
    return await _page(request, services, audience_id, {}, 200)


@router.post("/dashboard/audiences/{audience_id}/members", dependencies=posts)
async def add_members(request: Request, services: ServicesDep, audience_id: str) -> Response:
    """The user IDs of a file added to an upload audience, a chunk a transaction."""
    form = await posted(request)
    problems: Problems = {}
    members = await _members_of(form, problems)
    if members is None and not problems:
        problems["file"] = N_("choose a file of user IDs")
    if problems:
        return await _page(request, services, audience_id, problems, 422)
    try:
        await audiences.add_members_in_chunks(services.db, audience_id, members or [])
    except NotFound as exc:
        raise not_found(str(exc)) from None
    except Conflict as exc:
        raise PageError(409, "%(said)s", said=str(exc)) from None
    return RedirectResponse(f"/dashboard/audiences/{audience_id}", status_code=303)
