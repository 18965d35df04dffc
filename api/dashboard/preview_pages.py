"""The studio's previews, asked by its script as it edits: a step's messages (or a survey step's
question) as LINE would show them to a chosen friend (app/preview.py), and how many friends the scenario would reach right
now (app/reach.py). Signed in, with the session's form token; a bad field is a 422 that names
it (an HTML fragment for the preview, JSON for the reach), never a 500."""

import asyncio
import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from markupsafe import escape
from pydantic import ValidationError

from api.dashboard.auth import require_viewer
from api.dashboard.csrf import require_form_token
from api.dashboard.web import PageRoute
from api.deps import ServicesDep
from app import preview, reach
from core import bubbles
from domain.ids import USER_ID_PATTERN
from scenarios.definition import ScenarioDefinition
from scenarios.validate import pydantic_errors

router = APIRouter(
    route_class=PageRoute, dependencies=[Depends(require_viewer), Depends(require_form_token)]
)
assets = APIRouter()  # included before static_files: its /static/dashboard/{name} would answer
MAX_MESSAGES_TEXT = 200_000  # characters of the `messages` field (five messages at most)
MAX_DOCUMENT = 1_000_000  # characters of the `document` field (the studio's YAML tab's limit)
MAX_DEPTH = 64  # nesting of the JSON (a flex message's boxes): deeper is refused
USER_ID = re.compile(USER_ID_PATTERN)


class Invalid(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def _json(text: str, field: str, limit: int) -> Any:
    if len(text) > limit:
        raise Invalid(field, f"must be at most {limit:,} characters")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise Invalid(field, "must be JSON") from None
    if _depth(value) > MAX_DEPTH:
        raise Invalid(field, f"nests deeper than {MAX_DEPTH} levels")
    return value


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in `value` (without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            stack += [
                (item, level + 1) for item in (node.values() if isinstance(node, dict) else node)
            ]
    return deepest


def _messages(text: str) -> list[dict]:
    messages = _json(text, "messages", MAX_MESSAGES_TEXT)
    if not isinstance(messages, list):
        raise Invalid("messages", "must be a JSON list of message objects")
    if len(messages) > preview.MAX_MESSAGES:
        raise Invalid("messages", f"must be at most {preview.MAX_MESSAGES} messages (one push)")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise Invalid(f"messages[{index}]", "must be a message object with a type")
    return messages


def _defaults(text: str) -> dict[str, str]:
    if not text.strip():
        return {}
    defaults = _json(text, "defaults", MAX_MESSAGES_TEXT)
    if not isinstance(defaults, dict) or not all(isinstance(v, str) for v in defaults.values()):
        raise Invalid("defaults", "must be a JSON object of placeholder to text")
    return defaults


def _survey(text: str) -> tuple[str, list[dict] | None]:
    """A survey step's `question` and `options` (a list of {label, value}; none: free text)."""
    survey = _json(text, "survey", MAX_MESSAGES_TEXT)
    if not isinstance(survey, dict):
        raise Invalid("survey", "must be a JSON object of the question and its options")
    question = survey.get("question")
    if question is not None and not isinstance(question, str):
        raise Invalid("survey.question", "must be text")
    options = survey.get("options")
    if options is not None and not (
        isinstance(options, list) and all(isinstance(option, dict) for option in options)
    ):
        raise Invalid("survey.options", "must be a list of options, each with a label and value")
    return question or "", options


def _problem(error: Invalid) -> HTMLResponse:
    return HTMLResponse(
        f'<p class="problem" data-field="{escape(error.field)}">'
        f"<code>{escape(error.field)}</code> {escape(error.message)}</p>",
        status_code=422,
    )


@router.post("/dashboard/studio/preview")
async def preview_messages(
    services: ServicesDep,
    messages: Annotated[str, Form()] = "",
    user_id: Annotated[str, Form()] = "",
    defaults: Annotated[str, Form()] = "",
    survey: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """`messages` (a JSON list) drawn as LINE bubbles for `user_id` (none, or one the store does
    not know: as a push to a friend stepline knows nothing of), with the step's `defaults` (a
    JSON object); or, given `survey` (a JSON object: a survey step's `question` and `options`),
    the question as its push carries it. An HTML fragment styled by
    /static/dashboard/bubbles.css."""
    try:
        asked = _survey(survey) if survey else None
        shown = _messages(messages) if asked is None else []
        filled = _defaults(defaults)
        if user_id and not USER_ID.match(user_id):
            raise Invalid("user_id", "must be 'U' followed by 32 lowercase hex characters")
    except Invalid as error:
        return _problem(error)
    async with services.db.reading() as session:
        friend = await preview.recipient(session, user_id or None)
    if asked is not None:
        drawn = await asyncio.to_thread(preview.render_question, *asked, friend)
    else:
        drawn = await asyncio.to_thread(preview.render, shown, friend, filled)
    return HTMLResponse(drawn)


@router.post("/dashboard/studio/reach")
async def reach_now(services: ServicesDep, document: Annotated[str, Form()] = "") -> JSONResponse:
    """How many friends the scenario `document` (JSON) would take right now, and each branch's
    and split's share of them: `{"trigger", "exact", "rule", "sampled", "steps": {step_id:
    [{"label", "friends"[, "share"]}]}}` (app/reach.py says how each is counted)."""
    try:
        data = _json(document, "document", MAX_DOCUMENT)
        definition = ScenarioDefinition.model_validate(data)
        async with services.db.reading() as session:
            found = await reach.reach(session, definition)
    except Invalid as error:
        return _refused(error.field, error.message)
    except ValidationError as exc:
        problems = pydantic_errors(exc, data)
        first = problems[0]
        return _refused(f"document.{first['path']}".rstrip("."), first["msg"], problems)
    except reach.UnknownAudience as exc:
        return _refused("document.trigger.audience", str(exc))
    return JSONResponse(found.as_json())


@assets.get("/static/dashboard/bubbles.css")
async def bubbles_css() -> FileResponse:
    """How a message draws (core/static/bubbles.css, the emulator's chat view's too)."""
    headers = {"Cache-Control": "public, max-age=300"}
    return FileResponse(bubbles.CSS, media_type="text/css", headers=headers)


def _refused(field: str, message: str, problems: list | None = None) -> JSONResponse:
    body: dict[str, Any] = {"detail": message, "field": field}
    if problems:
        body["problems"] = problems
    return JSONResponse(body, status_code=422)
