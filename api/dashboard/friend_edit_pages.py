"""A friend's attributes and tags changed from their page: the rules of
`PUT /friends/{user_id}/attributes` and the tag routes (app/friend_values.py), the changes
app/friends.py makes (each with what it means for journeys, in one transaction)."""

import re
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import TypeAdapter, ValidationError

from api.dashboard.auth import require_viewer
from api.dashboard.csrf import require_form_token
from api.dashboard.forms import Problems, not_found, posted, problems_of, text
from api.dashboard.i18n import N_
from api.dashboard.web import PageError, PageRoute, render
from api.deps import ServicesDep
from app import friends
from app.errors import NotFound
from app.friend_values import NAME, VALUE
from domain.ids import USER_ID_PATTERN
from store.import_csv import convert

router = APIRouter(
    route_class=PageRoute, dependencies=[Depends(require_viewer), Depends(require_form_token)]
)
USER_ID = re.compile(USER_ID_PATTERN)
SET_OR_REMOVE = N_("must be set or remove")
ADD_OR_REMOVE = N_("must be add or remove")


def _checked_id(user_id: str) -> str:
    if not USER_ID.match(user_id):
        raise PageError(
            404,
            N_("There is no friend %(user_id)s (a LINE user ID is U + 32 hex)."),
            user_id=repr(user_id),
        )
    return user_id


async def _profile(services, user_id: str) -> dict[str, Any]:
    async with services.db.reading() as session:
        try:
            return await friends.profile(session, user_id, limit=1)
        except NotFound as exc:
            raise not_found(str(exc)) from None


async def _again(request, services, user_id: str, form: dict, problems: Problems) -> Response:
    """The friend's edit forms again, as typed, with each problem on its field (422)."""
    friend = await _profile(services, user_id)
    context = {"friend": friend, "tags": friend["tags"], "edit_form": form, "edit": problems}
    return render(request, "friend_edit.html", context, 422)


def _back(user_id: str, part: str) -> RedirectResponse:
    return RedirectResponse(f"/dashboard/friends/{user_id}#{part}", status_code=303)


def _check(adapter: TypeAdapter, value: Any, field: str, problems: Problems) -> Any:
    try:
        return adapter.validate_python(value)
    except ValidationError as error:
        problems[field] = next(iter(problems_of(error).values()))
        return None


@router.post("/dashboard/friends/{user_id}/attributes")
async def change_attribute(request: Request, services: ServicesDep, user_id: str) -> Response:
    """Set one attribute (`value` read as the CSV import reads a cell — 27 a number, true a
    boolean — unless `as_text`), or remove it (`action=remove`), as a merge does."""
    _checked_id(user_id)
    form = await posted(request)
    problems: Problems = {}
    action = text(form, "action", problems) or "set"
    typed_name = text(form, "name", problems, strip=False)
    name = _check(NAME, typed_name, "name", problems)
    typed = text(form, "value", problems, strip=False)
    value = None
    if action == "set":
        value = typed if form.get("as_text") == "true" else convert(typed.strip())
        value = _check(VALUE, value, "value", problems)
    elif action != "remove":
        problems["action"] = SET_OR_REMOVE
    shown = {"name": typed_name, "value": typed, "as_text": form.get("as_text") == "true"}
    if problems:
        return await _again(request, services, user_id, shown, problems)
    await _profile(services, user_id)  # the page's friend: 404 rather than a new friend
    async with services.db.session() as session:
        await friends.merge_attributes(session, user_id, {name: value})
    return _back(user_id, "edit-attributes")


@router.post("/dashboard/friends/{user_id}/tags")
async def change_tag(request: Request, services: ServicesDep, user_id: str) -> Response:
    """Add a tag (`action=add`, kept once) or remove one (`action=remove`: 404 when the
    friend has no such tag), as the tag routes do."""
    _checked_id(user_id)
    form = await posted(request)
    problems: Problems = {}
    action = text(form, "action", problems) or "add"
    typed_tag = text(form, "tag", problems, strip=False)
    tag = _check(NAME, typed_tag, "tag", problems)
    if action not in ("add", "remove"):
        problems["action"] = ADD_OR_REMOVE
    if problems:
        return await _again(request, services, user_id, {"tag": typed_tag}, problems)
    await _profile(services, user_id)
    async with services.db.session() as session:
        try:
            if action == "add":
                await friends.add_tags(session, user_id, [tag])
            else:
                await friends.remove_tag(session, user_id, tag)
        except NotFound as exc:
            raise not_found(str(exc)) from None
    return _back(user_id, "edit-tags")
