"""The studio's work, as the dashboard's pages ask for it: open a draft (blank, from a
template, or from a scenario's current version), change it, check it, replace it from YAML,
and save it through the scenario lifecycle — a new scenario, or a new version, migrating
running friends or not."""

import copy
from collections.abc import Iterable
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app import lifecycle, templates
from app.errors import Conflict, NotFound
from app.studio import blanks, check, edits, fields
from store import drafts
from store.definitions import Definitions
from store.drafts import StudioDraft
from store.impact import Impact, impact
from store.tables import Scenario


class TwinExists(Conflict):
    """A scenario of the template's name is there already (not ended): open or activate it
    rather than make a second, unless asked for another."""

    def __init__(self, scenario: Scenario):
        super().__init__(f"{scenario.id} {scenario.name!r} ({scenario.status}) is there already")
        self.scenario = scenario


async def open_blank(
    session: AsyncSession, template: str | None = None, *, new: bool = False
) -> StudioDraft:
    """A draft, blank or of a template's scenario; a template whose scenario is there already
    (app/templates.twin, as `POST /templates/{name}/scenarios` finds it) raises TwinExists
    unless `new` asks for another."""
    if not template:
        return await drafts.create(session, copy.deepcopy(blanks.SCENARIO))
    document = templates.document(template)
    if not new and (found := await twin_of(session, template)) is not None:
        raise TwinExists(found)
    return await drafts.create(session, document)


async def twin_of(session: AsyncSession, template: str) -> Scenario | None:
    """The scenario of the template's name that has not ended, if any (app.errors.NotFound:
    no such template)."""
    return await templates.twin(session, str(templates.document(template).get("name")))


async def open_scenario(session: AsyncSession, scenario_id: str) -> StudioDraft:
    scenario = await lifecycle.find(session, scenario_id)
    definition = await lifecycle.definition_of(session, scenario)
    return await drafts.create(
        session, definition.dump(), scenario_id=scenario.id, base_version=scenario.version
    )


async def find(session: AsyncSession, draft_id: str) -> StudioDraft:
    draft = await drafts.get(session, draft_id)
    if draft is None:
        raise NotFound(f"no draft {draft_id!r} (saved or discarded already?)")
    return draft


async def change(
    session: AsyncSession, draft: StudioDraft, form: Iterable[tuple[str, str]], op: str | None
) -> str | None:
    """The form's values, then its button's edit, kept in the draft; the place the edit made
    or moved (to show it), if any."""
    document = copy.deepcopy(draft.document)
    fields.fill(document, form)
    place = apply(document, op) if op else None
    await drafts.save(session, draft, document)
    return place


def apply(document: dict[str, Any], op: str) -> str | None:
    """A button's edit: `add:LIST:INDEX:KIND`, `duplicate:PATH`, `up:PATH`, `down:PATH`,
    `delete:PATH`, `drop:PATH`, `set:PATH:BLANK`, `item:LIST`, `message:LIST:TYPE`,
    `condition:LIST:KIND`."""
    verb, _, rest = op.partition(":")
    if verb == "add":
        list_path, index, kind = rest.rsplit(":", 2)
        return edits.add_step(document, list_path, int(index), kind)
    if verb == "duplicate":
        return edits.duplicate(document, rest)
    if verb in ("up", "down"):
        return edits.move(document, rest, -1 if verb == "up" else 1)
    if verb == "delete":
        edits.delete(document, rest)
        return None
    if verb == "drop":  # an optional part: a goal, a window, exit conditions
        edits.drop(document, rest)
        return None
    if verb == "set":  # an optional part put in place: `set:PATH:BLANK`
        path, blank = rest.rsplit(":", 1)
        return edits.put_blank(document, path, blank)
    if verb == "item":
        return edits.add_item(document, rest)
    if verb == "message":
        list_path, kind = rest.rsplit(":", 1)
        return edits.append(document, list_path, blanks.fresh(blanks.MESSAGES, kind))
    if verb == "condition":
        list_path, kind = rest.rsplit(":", 1)
        return edits.append(document, list_path, blanks.fresh(blanks.CONDITIONS, kind))
    raise edits.BadEdit(f"unknown edit {verb!r}")


async def discard(session: AsyncSession, draft: StudioDraft) -> None:
    await drafts.discard(session, draft.id)


async def replace(session: AsyncSession, draft: StudioDraft, text: str) -> None:
    """The text tab's YAML (or JSON) as the draft's document (check.NotYaml: unchanged)."""
    await drafts.save(session, draft, check.from_yaml(text))


async def impact_of(session: AsyncSession, draft: StudioDraft) -> Impact | None:
    """What saving as a new version with migration would do to the friends on their way."""
    definition, errors = await check.problems(session, draft.document, draft.scenario_id)
    if draft.scenario_id is None or definition is None:
        return None
    scenario = await lifecycle.find(session, draft.scenario_id)
    return await impact(
        session, scenario_id=scenario.id, target=definition, to_version=scenario.version + 1
    )


async def save(
    session: AsyncSession, definitions: Definitions, draft: StudioDraft, *, migrate: bool = False
) -> Scenario:
    """The draft as a new scenario, or as its scenario's new version; the draft is gone then.
    A draft that does not pass the checks is not saved (app.errors.Conflict)."""
    definition, errors = await check.problems(session, draft.document, draft.scenario_id)
    if definition is None:
        raise Conflict(
            f"{len(errors)} problem(s) to fix first: {errors[0]['path']}: {errors[0]['msg']}"
        )
    if draft.scenario_id is None:
        scenario = await lifecycle.create(session, definitions, definition)
    else:
        scenario = await lifecycle.find(session, draft.scenario_id)
        if draft.base_version is not None and scenario.version != draft.base_version:
            raise Conflict(
                f"version {scenario.version} was saved since this draft was opened from "
                f"version {draft.base_version}: open the scenario again"
            )
        scenario = (
            await lifecycle.new_version(session, scenario.id, definition, migrate=migrate)
        ).scenario
    await drafts.discard(session, draft.id)
    return scenario
