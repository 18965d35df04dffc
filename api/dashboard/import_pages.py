"""Importing friends' attributes from a CSV file: upload it, read its dry run (what
`POST /friends/import?dry_run=true` answers: rows, friends new and existing, or every problem
with its line), then confirm — merged as `POST /friends/import` merges (app/friend_import.py)."""

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from api.dashboard import import_files
from api.dashboard.auth import require_viewer
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
    upload_id = await asyncio.to_thread(import_files.keep, data, facts)
    return RedirectResponse(f"{HOME}/{upload_id}", status_code=303)


def _kept(upload_id: str) -> dict[str, Any]:
    facts = import_files.facts(upload_id)
    if facts is None:
        raise PageError(404, GONE, upload_id=repr(upload_id))
    return facts


@router.get(HOME + "/{upload_id}")
async def import_page(request: Request, upload_id: str) -> Response:
    """The dry run with its confirmation, or, once confirmed, what was imported."""
    context = {"problems": [], "upload": _kept(upload_id), "upload_id": upload_id}
    return render(request, "friend_import.html", context)


@router.post(HOME + "/{upload_id}", dependencies=posts)
async def confirm(request: Request, services: ServicesDep, upload_id: str) -> Response:
    """Import the kept file: merged a chunk of friends a transaction, with the operation that
    follows what it means for journeys. Confirmed twice, it is imported once."""
    facts = _kept(upload_id)
    data = None if "result" in facts else await asyncio.to_thread(import_files.data, upload_id)
    if data is not None:
        try:
            parsed = await friend_import.parse(data)
        except ImportInvalid as invalid:  # checked at the upload: only a changed file
            return _form(request, invalid.problems, 422)
        result, operation = await friend_import.merge_in_chunks(services.db, parsed)
        done = {
            "imported": result.imported,
            "created": result.created,
            "updated": result.updated,
            "operation": operation.id if operation is not None else None,
        }
        await asyncio.to_thread(import_files.imported, upload_id, done)
    return RedirectResponse(f"{HOME}/{upload_id}", status_code=303)
