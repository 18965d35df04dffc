"""The studio's pages: compose a scenario (blank or from a template) or edit one as a draft —
a form of every part, a YAML tab, each change checked at once with the API's own rules — and
save it through the scenario lifecycle. Every post carries the session's form token."""

import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from sqlmodel.ext.asyncio.session import AsyncSession

from api.dashboard import graph, problem_words
from api.dashboard.auth import require_viewer
from api.dashboard.csrf import require_form_token
from api.dashboard.i18n import N_, translations
from api.dashboard.studio_labels import label_of
from api.dashboard.web import PageError, PageRoute, environment, render, render_off_loop
from api.deps import ServicesDep
from app import overlaps, templates
from app.errors import Conflict, NotFound
from app.studio import blanks, check, edits, fields, service, shown
from app.studio.paths import BadPath
from store import friends, scenarios
from store.audiences import list_audiences
from store.drafts import ID_PATTERN, StudioDraft

router = APIRouter(route_class=PageRoute, dependencies=[Depends(require_viewer)])
environment.globals["studio_templates"] = templates.listing  # the scenario list's "from a template"
Changes = [Depends(require_form_token)]
DRAFT = re.compile(ID_PATTERN)
TABS = ("form", "yaml")
PREVIEW_FRIENDS = 50  # recent friends offered to preview the messages for


def _place(draft_id: str) -> str:
    if not DRAFT.match(draft_id):
        raise PageError(404, N_("There is no draft %(id)s."), id=repr(draft_id))
    return f"/dashboard/studio/{draft_id}"


async def _draft(session: AsyncSession, draft_id: str) -> StudioDraft:
    _place(draft_id)
    try:
        return await service.find(session, draft_id)
    except NotFound as exc:
        raise PageError(404, str(exc)) from None


@router.post("/dashboard/studio", dependencies=Changes)
async def open_draft(
    services: ServicesDep,
    template: Annotated[str, Form(max_length=100)] = "",
    scenario_id: Annotated[str, Form(max_length=64)] = "",
    new: Annotated[bool, Form()] = False,
) -> Response:
    """A new draft: blank, from a template, or from a scenario's current version. A template
    whose scenario is there already goes to the page that says so (its open and activate),
    unless `new` asks for a second one."""
    async with services.db.session() as session:
        try:
            if scenario_id:
                draft = await service.open_scenario(session, scenario_id)
            else:
                draft = await service.open_blank(session, template or None, new=new)
        except NotFound as exc:
            raise PageError(404, str(exc), "scenario_id" if scenario_id else "template") from None
        except service.TwinExists:
            return RedirectResponse(
                f"/dashboard/templates/{quote(template, safe='')}", status_code=303
            )
    return RedirectResponse(_place(draft.id), status_code=303)


@router.get("/dashboard/studio/{draft_id}")
async def studio(
    request: Request,
    services: ServicesDep,
    draft_id: str,
    tab: Annotated[str, Query(max_length=10)] = "form",
) -> Response:
    if tab not in TABS:
        raise PageError(422, N_("must be form or yaml"), "tab")
    async with services.db.reading() as session:
        draft = await _draft(session, draft_id)
        context = await _context(session, draft, request)
    return await render_off_loop(request, "studio.html", context | {"tab": tab})


@router.post("/dashboard/studio/{draft_id}", dependencies=Changes)
async def change(request: Request, services: ServicesDep, draft_id: str) -> Response:
    """The form's values and the pressed button's edit, kept; back to the page at the place
    the edit made."""
    form = await request.form()
    async with services.db.session() as session:
        draft = await _draft(session, draft_id)
        try:
            place = await service.change(session, draft, _values(form), _op(form))
        except (edits.BadEdit, BadPath, ValueError) as exc:
            raise PageError(
                422, N_("That change does not fit this draft: %(why)s"), "op", why=str(exc)
            ) from None
    anchor = f"#at-{place}" if place else ""
    return RedirectResponse(_place(draft_id) + anchor, status_code=303)


@router.post("/dashboard/studio/{draft_id}/check", dependencies=Changes)
async def live_check(request: Request, services: ServicesDep, draft_id: str) -> Response:
    """What the page's script sends as the operator types: the values kept, the problems
    (each with its path) and the YAML and the step graph as they are now."""
    form = await request.form()
    async with services.db.session() as session:
        draft = await _draft(session, draft_id)
        try:
            await service.change(session, draft, _values(form), None)
        except (BadPath, ValueError) as exc:
            return JSONResponse({"detail": f"not a field of this draft: {exc}"}, status_code=422)
        definition, problems = await check.problems(session, draft.document, draft.scenario_id)
    return JSONResponse(
        {
            "document": draft.document,
            "problems": problem_words.problems(problems, translations(request)),
            "yaml": check.as_yaml(draft.document),
            "graph": _graph_html(request, definition),
        }
    )


@router.post("/dashboard/studio/{draft_id}/yaml", dependencies=Changes)
async def from_yaml(
    request: Request,
    services: ServicesDep,
    draft_id: str,
    text: Annotated[str, Form(max_length=check.MAX_YAML)] = "",
) -> Response:
    """The text tab's YAML (or JSON) as the whole document; text that does not read is shown
    again with what is wrong, and the draft is left as it was."""
    async with services.db.session() as session:
        draft = await _draft(session, draft_id)
        try:
            await service.replace(session, draft, text)
        except check.NotYaml as exc:
            context = await _context(session, draft, request)
            said = problem_words.translate(str(exc), translations(request))
            extra = {"tab": "yaml", "yaml": text, "yaml_problem": said}
            response = await render_off_loop(request, "studio.html", context | extra)
            response.status_code = 422
            return response
    return RedirectResponse(_place(draft_id) + "?tab=yaml", status_code=303)


@router.get("/dashboard/studio/{draft_id}/save")
async def save_page(request: Request, services: ServicesDep, draft_id: str) -> Response:
    """Before saving: what it will be, and for a scenario with friends on their way, how many
    would move to the new version."""
    async with services.db.reading() as session:
        draft = await _draft(session, draft_id)
        context = await _context(session, draft, request)
        context["impact"] = await service.impact_of(session, draft)
        context["overlaps"] = await _overlaps(session, draft)
    return await render_off_loop(request, "studio_save.html", context)


async def _overlaps(session: AsyncSession, draft: StudioDraft) -> list[dict[str, Any]]:
    """The follow scenarios taking new friends that the saved document would overlap."""
    definition, _ = await check.problems(session, draft.document, draft.scenario_id)
    if definition is None:
        return []
    scenario = await scenarios.get_scenario(session, scenario_id=draft.scenario_id or "")
    return await overlaps.of_document(session, definition, scenario)


@router.post("/dashboard/studio/{draft_id}/save", dependencies=Changes)
async def save(
    services: ServicesDep, draft_id: str, migrate: Annotated[bool, Form()] = False
) -> Response:
    async with services.db.session() as session:
        draft = await _draft(session, draft_id)
        try:
            scenario = await service.save(session, services.definitions, draft, migrate=migrate)
        except Conflict as exc:
            raise PageError(409, str(exc)) from None
    return RedirectResponse(f"/dashboard/scenarios/{scenario.id}", status_code=303)


@router.post("/dashboard/studio/{draft_id}/discard", dependencies=Changes)
async def discard(services: ServicesDep, draft_id: str) -> Response:
    async with services.db.session() as session:
        draft = await _draft(session, draft_id)
        back = f"/dashboard/scenarios/{draft.scenario_id}" if draft.scenario_id else "/"
        await service.discard(session, draft)
    return RedirectResponse(back, status_code=303)


def _graph_html(request: Request, definition: Any) -> str | None:
    if definition is None:
        return None
    nodes = graph.step_graph(definition, {})
    return bytes(render(request, "_studio_graph.html", {"nodes": nodes}).body).decode()


def _values(form: Any) -> list[tuple[str, str]]:
    return [(name, value) for name, value in form.multi_items() if isinstance(value, str)]


def _op(form: Any) -> str | None:
    value = form.get("op")
    return value if isinstance(value, str) and value else None


async def _context(session: AsyncSession, draft: StudioDraft, request: Request) -> dict[str, Any]:
    """The page's values; the problems in the page's language (the API's own are English)."""
    definition, found = await check.problems(session, draft.document, draft.scenario_id)
    problems = problem_words.problems(found, translations(request))
    listed = await scenarios.list_scenarios(session)
    audiences = await list_audiences(session)
    recent = await friends.search(session, limit=PREVIEW_FRIENDS)
    by_path: dict[str, list[str]] = {}
    for problem in problems:
        by_path.setdefault(problem["path"], []).append(problem["msg"])
    return {
        "draft": draft,
        "doc": draft.document,
        "place": _place(draft.id),
        "problems": problems,
        "by_path": by_path,
        "valid": definition is not None,
        "graph": graph.step_graph(definition, {}) if definition else None,
        "yaml": check.as_yaml(draft.document),
        "audience_options": [("", "—")] + [(a.id, f"{a.name} ({a.kind})") for a in audiences],
        "scenario_options": [("", "—")]
        + [(s.id, f"{s.name} ({s.id})") for s in listed if s.id != draft.scenario_id],
        "message_steps": [("", "—")] + [(i, i) for i in shown.message_step_ids(draft.document)],
        "step_kinds": list(blanks.STEPS),
        "message_kinds": list(blanks.MESSAGES),
        "condition_kinds": list(blanks.CONDITIONS),
        "trigger_kinds": list(blanks.TRIGGERS),
        "operators": fields.ATTRIBUTE_OPS,
        "wait_mode": fields.wait_mode,
        "answers_of": fields.answers,
        "operator_of": fields.operator_of,
        "message_type": fields.message_type,
        "friends": recent,
        "shown": shown.value,
        "options_keys": shown.keys,
        "label_of": label_of,
        "condition_kind": shown.condition_kind,
    }
