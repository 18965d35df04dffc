"""Importing friends' attributes from a CSV file: upload it, read its dry run (what
`POST /friends/import?dry_run=true` answers: rows, friends new and existing, or every problem
with its line), then confirm — merged as `POST /friends/import` merges (app/friend_import.py).
The file waits in the database between the two (store/import_uploads.py): the confirmation
may reach another API replica than the upload did, and is imported once."""

import hashlib
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from api.dashboard.auth import COOKIE, require_viewer
from api.dashboard.csrf import require_form_token
from api.dashboard.forms import file_bytes, posted
from api.dashboard.i18n import N_
from api.dashboard.web import PageError, PageRoute, render
from api.deps import ServicesDep
from app import friend_import
from store.import_problems import ImportInvalid

router = APIRouter(route_class=PageRoute, dependencies=[Depends(require_viewer)])
posts = [Depends(require_form_token)]
HOME = "/dashboard/friends/import"
CHOOSE = N_("choose a CSV file")
GONE = N_("There is no import %(upload_id)s (an upload is kept for an hour).")


def _who(request: Request) -> str:
    """Who uploads or confirms: the dashboard session (a digest of its cookie, as
    store/sessions.py keys it), or the admin token's bearer header."""
    cookie = request.cookies.get(COOKIE, "")
    if cookie and not request.headers.get("authorization"):
        return "session " + hashlib.sha256(cookie.encode()).hexdigest()[:16]
    return "admin token"


def _form(request: Request, problems: list[dict[str, str]], status: int) -> Response:
    return render(request, "friend_import.html", {"problems": problems, "upload": None}, status)


@router.get(HOME)
async def import_form(request: Request) -> Response:
    """The upload form."""
    return _form(request, [], 200)


@router.post(HOME, dependencies=posts)
async def dry_run(request: Request, services: ServicesDep) -> Response:
    """The file checked and counted, nothing written; kept for the confirmation."""
    data = await file_bytes(await posted(request))
    if data is None:
        return _form(request, [{"path": "file", "msg": CHOOSE}], 422)
    try:
        parsed = await friend_import.parse(data)
    except ImportInvalid as invalid:
        return _form(request, invalid.problems, 422)
    async with services.db.reading() as session:
        result = await friend_import.dry_run(session, parsed)
    form = await posted(request)
    facts = {
        "name": getattr(form.get("file"), "filename", "") or "",
        "imported": result.imported,
        "created": result.created,
        "updated": result.updated,
        "attributes": result.attributes,
    }
    upload_id = await friend_import.keep_upload(services.db, data, facts, by=_who(request))
    return RedirectResponse(f"{HOME}/{upload_id}", status_code=303)


def _gone(upload_id: str) -> PageError:
    return PageError(404, GONE, upload_id=repr(upload_id))


@router.get(HOME + "/{upload_id}")
async def import_page(request: Request, services: ServicesDep, upload_id: str) -> Response:
    """The dry run with its confirmation, or, once confirmed, what was imported."""
    upload: dict[str, Any] | None = await friend_import.kept_upload(services.db, upload_id)
    if upload is None:
        raise _gone(upload_id)
    context = {"problems": [], "upload": upload, "upload_id": upload_id}
    return render(request, "friend_import.html", context)


@router.post(HOME + "/{upload_id}", dependencies=posts)
async def confirm(request: Request, services: ServicesDep, upload_id: str) -> Response:
    """Import the kept file: merged a chunk of friends a transaction, with the operation that
    follows what it means for journeys. Confirmed twice (on any replica), it is imported once;
    a confirmation that finds it importing elsewhere waits for its result."""
    try:
        upload = await friend_import.confirm_upload(services.db, upload_id, by=_who(request))
    except ImportInvalid as invalid:  # checked at the upload: only a changed file
        return _form(request, invalid.problems, 422)
    if upload is None:
        raise _gone(upload_id)
    return RedirectResponse(f"{HOME}/{upload_id}", status_code=303)
