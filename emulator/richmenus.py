"""LINE's rich menus, as far as a per-user menu needs them: create (a valid rich menu object),
upload its image, list, get, delete; link one to a user, unlink it, read which one is linked.
`GET /emulator/richmenus/links` shows every user's link, for tests."""

from __future__ import annotations

import json
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from linebot.v3.messaging import models

from core.linemsg import Problem, parse_model
from emulator.ids import is_user_id
from emulator.line_api import _gate, _state, line_error

router = APIRouter()
control = APIRouter(prefix="/emulator", tags=["emulator"])

NOT_FOUND = "Not found"
NO_IMAGE = "must upload richmenu image before applying it to user"
NO_RICH_MENU = "the user has no richmenu"
BAD_USER = "The value for the 'userId' parameter is invalid"
IMAGE_TYPES = ("image/png", "image/jpeg")
MAX_IMAGE = 1024 * 1024
MAX_AREAS = 20
MAX_CHAT_BAR_TEXT = 14
MAX_NAME = 300


def check_rich_menu(body: object) -> list[Problem]:
    """RichMenuRequest as the SDK models it, then LINE's documented limits."""
    found: list[Problem] = []
    parse_model(models.RichMenuRequest, body, "", found)
    problems = [Problem(p.path.lstrip("."), p.message) for p in found]
    if not isinstance(body, dict):
        return problems
    for name in ("size", "selected", "name", "chatBarText", "areas"):
        if name not in body:
            problems.append(Problem(name, "must be specified"))
    size = body.get("size") if isinstance(body.get("size"), dict) else {}
    width, height = size.get("width"), size.get("height")
    for name, value in (("width", width), ("height", height)):
        if isinstance(body.get("size"), dict) and value is None:
            problems.append(Problem(f"size.{name}", "must be specified"))
    if isinstance(width, int) and isinstance(height, int) and height > 0:
        if not 800 <= width <= 2500:
            problems.append(Problem("size.width", "must be between 800 and 2500"))
        if height < 250 or width / height < 1.45:
            problems.append(Problem("size.height", "must be at least 250, width/height >= 1.45"))
    if len(str(body.get("chatBarText", ""))) > MAX_CHAT_BAR_TEXT:
        problems.append(Problem("chatBarText", f"must be at most {MAX_CHAT_BAR_TEXT} characters"))
    if len(str(body.get("name", ""))) > MAX_NAME:
        problems.append(Problem("name", f"must be at most {MAX_NAME} characters"))
    if isinstance(body.get("areas"), list) and len(body["areas"]) > MAX_AREAS:
        problems.append(Problem("areas", f"must contain at most {MAX_AREAS} areas"))
    return list(dict.fromkeys(problems))


@router.post("/v2/bot/richmenu")
async def create_rich_menu(request: Request) -> JSONResponse:
    if refused := _gate(request, "richmenu_create", retry_key_allowed=False):
        return refused
    try:
        body = json.loads(await request.body())
    except ValueError:
        return line_error(400, "The request body could not be parsed as JSON")
    if problems := check_rich_menu(body):
        details = [{"message": p.message, "property": p.path} for p in problems]
        return line_error(400, "The request body is invalid", details=details)
    rich_menu_id = f"richmenu-{secrets.token_hex(16)}"
    _state(request).rich_menus[rich_menu_id] = body | {
        "richMenuId": rich_menu_id,
        "hasImage": False,
    }
    return JSONResponse({"richMenuId": rich_menu_id})


def _public(menu: dict) -> dict:
    return {key: value for key, value in menu.items() if key != "hasImage"}


@router.get("/v2/bot/richmenu/list")
async def list_rich_menus(request: Request) -> JSONResponse:
    if refused := _gate(request, "richmenu_list", retry_key_allowed=False):
        return refused
    return JSONResponse({"richmenus": [_public(m) for m in _state(request).rich_menus.values()]})


@router.get("/v2/bot/richmenu/{rich_menu_id}")
async def get_rich_menu(request: Request, rich_menu_id: str) -> JSONResponse:
    if refused := _gate(request, "richmenu", retry_key_allowed=False):
        return refused
    menu = _state(request).rich_menus.get(rich_menu_id)
    return line_error(404, NOT_FOUND) if menu is None else JSONResponse(_public(menu))


@router.delete("/v2/bot/richmenu/{rich_menu_id}")
async def delete_rich_menu(request: Request, rich_menu_id: str) -> JSONResponse:
    if refused := _gate(request, "richmenu_delete", retry_key_allowed=False):
        return refused
    state = _state(request)
    if state.rich_menus.pop(rich_menu_id, None) is None:
        return line_error(404, NOT_FOUND)
    for user_id, linked in list(state.rich_menu_links.items()):
        if linked == rich_menu_id:
            del state.rich_menu_links[user_id]
    return JSONResponse({})


@router.post("/v2/bot/richmenu/{rich_menu_id}/content")
async def upload_rich_menu_image(request: Request, rich_menu_id: str) -> JSONResponse:
    """api-data.line.me's upload: a JPEG or PNG of at most 1 MB."""
    if refused := _gate(request, "richmenu_content", retry_key_allowed=False):
        return refused
    menu = _state(request).rich_menus.get(rich_menu_id)
    if menu is None:
        return line_error(404, NOT_FOUND)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in IMAGE_TYPES:
        return line_error(415, f"The content type, '{content_type}', is not supported")
    image = await request.body()
    if not image or len(image) > MAX_IMAGE:
        return line_error(400, "The image must be between 1 byte and 1 MB")
    if menu["hasImage"]:
        return line_error(400, "An image has already been uploaded to the richmenu")
    menu["hasImage"] = True
    return JSONResponse({})


@router.post("/v2/bot/user/{user_id}/richmenu/{rich_menu_id}")
async def link_rich_menu(request: Request, user_id: str, rich_menu_id: str) -> JSONResponse:
    if refused := _gate(request, "richmenu_link", retry_key_allowed=False):
        return refused
    state = _state(request)
    if not is_user_id(user_id):
        return line_error(400, BAD_USER)
    menu = state.rich_menus.get(rich_menu_id)
    if menu is None or user_id not in state.users:
        return line_error(404, NOT_FOUND)
    if not menu["hasImage"]:
        return line_error(400, NO_IMAGE, details=[])
    state.rich_menu_links[user_id] = rich_menu_id
    return JSONResponse({})


@router.get("/v2/bot/user/{user_id}/richmenu")
async def get_linked_rich_menu(request: Request, user_id: str) -> JSONResponse:
    if refused := _gate(request, "richmenu_of_user", retry_key_allowed=False):
        return refused
    state = _state(request)
    if not is_user_id(user_id):
        return line_error(400, BAD_USER)
    linked = state.rich_menu_links.get(user_id)
    if linked is None:
        return line_error(404, NO_RICH_MENU)
    return JSONResponse({"richMenuId": linked})


@router.delete("/v2/bot/user/{user_id}/richmenu")
async def unlink_rich_menu(request: Request, user_id: str) -> JSONResponse:
    if refused := _gate(request, "richmenu_unlink", retry_key_allowed=False):
        return refused
    state = _state(request)
    if not is_user_id(user_id):
        return line_error(400, BAD_USER)
    state.rich_menu_links.pop(user_id, None)
    return JSONResponse({})


@control.get("/richmenus/links")
async def rich_menu_links(request: Request) -> dict[str, str]:
    """userId → the rich menu linked to that user."""
    return dict(_state(request).rich_menu_links)
