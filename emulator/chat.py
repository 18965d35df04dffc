"""/emulator/chat: each friend's LINE chat with the account, as LINE's app would show it, and
buttons to add, block and unblock friends, tap the chat's options and type a reply (the same
signed webhooks as /emulator/users/…)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import FileSystemLoader

from core import bubbles
from emulator import chatscreen, control
from emulator.ids import is_user_id
from emulator.state import EmulatorState

HERE = Path(__file__).parent
STATIC = HERE / "static"
BAD_USER_ID = "user_id must be 'U' followed by 32 lowercase hex characters"
MAX_DISPLAY_NAME = 50
EVENTS = ("follow", "unfollow", "postback", "message")
PICKED = ("date", "time", "datetime")  # what a datetime picker sends back in postback.params
MAX_DATA, MAX_DISPLAY_TEXT, MAX_TEXT = 300, 300, 5000  # LINE's limits

router = APIRouter(prefix="/emulator", tags=["emulator chat"])
root = APIRouter(include_in_schema=False)


# the drawing of a message is core/bubbles.py's (the dashboard's previews draw with it too)
templates = Jinja2Templates(env=bubbles.environment(FileSystemLoader(HERE / "templates")))


def _state(request: Request) -> EmulatorState:
    return request.app.state.emulator


def _context(request: Request, user_id: str | None, **extra: Any) -> dict:
    """What the page and its live fragments draw: the chat list and, if chosen, one chat."""
    state = _state(request)
    friend = state.users.get(user_id) if user_id else None
    days = chatscreen.conversation(state, user_id) if friend else []
    return {
        "request": request,
        "friends": chatscreen.friend_rows(state),
        "friend": friend,
        "days": days,
        "rich_menu": chatscreen.rich_menu(state, user_id) if friend else None,
        "rich_menu_actions": chatscreen.rich_menu_actions(state, user_id) if friend else [],
        "quick_reply": chatscreen.quick_reply(days),
        "stamp": chatscreen.stamp(state),
        "zone": chatscreen.zone_name(state),  # times are shown in it
        "notice": None,
        "error": None,
        "form": {"display_name": "", "user_id": ""},
        **extra,
    }


def _page(request: Request, user_id: str | None, status: int = 200, **extra: Any) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "chat.html", _context(request, user_id, **extra), status_code=status
    )


def _notice(event: str | None, webhook: str | None, error: str | None) -> str | None:
    """The line under the header after a button: what the webhook to the bot answered."""
    if event not in EVENTS:
        return None
    if error:
        return f"The {event} webhook could not be delivered: {error}"
    if webhook:
        return f"Sent a signed {event} webhook to the bot: HTTP {webhook}"
    return f"No webhook URL is set: the {event} was not sent to any bot"


def _back_to(user_id: str, event: str, answer: dict) -> RedirectResponse:
    query = {"event": event, "webhook": answer.get("webhook_status") or ""}
    if answer.get("webhook_error"):
        query["webhook_error"] = answer["webhook_error"]
    return RedirectResponse(f"/emulator/chat/{user_id}?{urlencode(query)}", status_code=303)


@root.get("/")
@router.get("", include_in_schema=False)
async def index() -> RedirectResponse:
    return RedirectResponse("/emulator/chat", status_code=307)


@router.get("/bubbles.css", include_in_schema=False)
async def bubbles_css() -> FileResponse:
    """How a message draws (core/static/bubbles.css), shared with the dashboard's previews."""
    headers = {"Cache-Control": "public, max-age=300"}
    return FileResponse(bubbles.CSS, media_type="text/css", headers=headers)


@router.get("/chat", response_class=HTMLResponse)
async def chat_list(request: Request) -> HTMLResponse:
    """The chat view: every user the emulator knows, and a button to add a friend."""
    return _page(request, None)


@router.get("/chat/updates")
async def updates(request: Request, since: str | None = None, user_id: str | None = None):
    """For the page's 2-second poll: `{"stamp"}` alone when nothing changed since `since`, else
    the chat list (and `user_id`'s chat) as HTML fragments."""
    if user_id is not None and not is_user_id(user_id):
        return JSONResponse({"detail": BAD_USER_ID}, status_code=422)
    if user_id is not None and user_id not in _state(request).users:
        return JSONResponse({"detail": f"no user {user_id} in the emulator"}, status_code=404)
    if since is not None and since == chatscreen.stamp(_state(request)):
        return {"stamp": since}  # the usual answer: cheap, nothing drawn
    context = _context(request, user_id)
    env = templates.env
    answer = {
        "stamp": context["stamp"],
        "friends": env.get_template("_friends.html").render(context),
    }
    if user_id is not None:
        answer["conversation"] = env.get_template("_conversation.html").render(context)
    return answer


@router.post("/chat/friends")
async def add_friend(
    request: Request,
    display_name: Annotated[str, Form()] = "",
    user_id: Annotated[str, Form()] = "",
):
    """Add a friend (a new random user unless `user_id` is given): a signed follow webhook,
    as POST /emulator/users/{user_id}/follow sends."""
    display_name, user_id = display_name.strip(), user_id.strip()
    form = {"display_name": display_name, "user_id": user_id}
    if user_id and not is_user_id(user_id):
        return _page(request, None, 422, error=f"{BAD_USER_ID} (got {user_id[:40]!r})", form=form)
    if len(display_name) > MAX_DISPLAY_NAME:
        error = f"display_name must be at most {MAX_DISPLAY_NAME} characters"
        return _page(request, None, 422, error=error, form=form)
    user_id = user_id or f"U{secrets.token_hex(16)}"
    answer = await control.follow_user(_state(request), user_id, display_name=display_name or None)
    return _back_to(user_id, "follow", answer)


@router.get("/chat/{user_id}", response_class=HTMLResponse)
async def chat(
    request: Request,
    user_id: str,
    event: str | None = None,
    webhook: str | None = None,
    webhook_error: str | None = None,
) -> HTMLResponse:
    """One friend's chat with the account: what LINE delivered to them, as bubbles."""
    if not is_user_id(user_id):
        return _page(request, None, 422, error=f"{BAD_USER_ID} (got {user_id[:40]!r})")
    if user_id not in _state(request).users:
        error = f"No user {user_id} in the emulator: add a friend first."
        return _page(request, None, 404, error=error)
    return _page(request, user_id, notice=_notice(event, webhook, webhook_error))


@router.post("/chat/{user_id}/block")
async def block(request: Request, user_id: str):
    """The friend blocks the account: a signed unfollow webhook, as /emulator/users/…/unfollow."""
    if refused := _unknown(request, user_id):
        return refused
    return _back_to(user_id, "unfollow", await control.unfollow_user(_state(request), user_id))


@router.post("/chat/{user_id}/unblock")
async def unblock(request: Request, user_id: str):
    """The friend unblocks the account: a signed follow webhook with isUnblocked true."""
    if refused := _unknown(request, user_id):
        return refused
    return _back_to(user_id, "follow", await control.follow_user(_state(request), user_id))


def _unknown(request: Request, user_id: str) -> HTMLResponse | None:
    if not is_user_id(user_id):
        return _page(request, None, 422, error=f"{BAD_USER_ID} (got {user_id[:40]!r})")
    if user_id not in _state(request).users:
        return _page(request, None, 404, error=f"No user {user_id} in the emulator.")
    return None


@router.post("/chat/{user_id}/postback")
async def tap_postback(
    request: Request,
    user_id: str,
    data: Annotated[str, Form(max_length=MAX_DATA)] = "",
    display_text: Annotated[str, Form(max_length=MAX_DISPLAY_TEXT)] = "",
    text: Annotated[str, Form(max_length=MAX_DISPLAY_TEXT)] = "",
    date: Annotated[str, Form()] = "",
    time: Annotated[str, Form()] = "",
    datetime: Annotated[str, Form()] = "",
):
    """The friend taps a postback (or datetime picker) action: a signed postback webhook, as
    POST /emulator/users/{user_id}/postback sends. A deprecated `text` is sent too, as a
    message, the way LINE does."""
    if refused := _unknown(request, user_id):
        return refused
    picked = {"date": date, "time": time, "datetime": datetime}
    params = {name: value for name, value in picked.items() if value}
    state = _state(request)
    try:
        if text and not display_text:  # a postback action's deprecated `text`: LINE sends it
            await control.message_user(state, user_id, text)
        answer = await control.postback_user(state, user_id, data, display_text or None, params)
    except HTTPException as refusal:
        return _page(request, user_id, refusal.status_code, error=refusal.detail)
    return _back_to(user_id, "postback", answer)


@router.post("/chat/{user_id}/message")
async def send_message(request: Request, user_id: str, text: Annotated[str, Form()] = ""):
    """The friend sends a text (typed, or a message action tapped): a signed message webhook,
    as POST /emulator/users/{user_id}/message sends."""
    if refused := _unknown(request, user_id):
        return refused
    if not text.strip():
        return _page(request, user_id, 422, error="text must not be blank: type a message")
    if len(text) > MAX_TEXT:
        error = f"text must be at most {MAX_TEXT} characters (got {len(text)})"
        return _page(request, user_id, 422, error=error)
    try:
        answer = await control.message_user(_state(request), user_id, text)
    except HTTPException as refusal:
        return _page(request, user_id, refusal.status_code, error=refusal.detail)
    return _back_to(user_id, "message", answer)
