"""The ready scenarios (docs/CONTRACT.md §1): the four LINE templates under `templates/`, read
for the API (`/templates`) and the studio alike, and the scenario made of one (`use`: the one
of the same name when there is one, not a twin)."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlmodel.ext.asyncio.session import AsyncSession

from app import lifecycle
from app.errors import NotFound
from scenarios.definition import ScenarioDefinition
from store import scenarios
from store.definitions import Definitions
from store.tables import Scenario

# the repository's templates/, next to app/ (as `stepline dev` finds examples/)
FOLDER = Path(__file__).resolve().parents[1] / "templates"


def files() -> dict[str, Path]:
    return {path.stem: path for path in sorted(FOLDER.glob("*.yaml"))}


def path_of(name: str) -> Path:
    found = files()
    if name not in found:
        raise NotFound(f"no template {name!r} (there are: {', '.join(found) or 'none'})")
    return found[name]


def document(name: str) -> dict[str, Any]:
    """The template's scenario document, as its YAML says."""
    return yaml.safe_load(path_of(name).read_text(encoding="utf-8"))


def description(path: Path) -> str:
    """The comment at the top of the file, as one paragraph."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return " ".join(line for line in lines if line)


def listing() -> list[dict[str, str]]:
    """`name` to create one, `title` (the scenario's name), `description`."""
    return [
        {"name": name, "title": document(name)["name"], "description": description(path)}
        for name, path in files().items()
    ]


@dataclass
class Used:
    """What `POST /templates/{name}/scenarios` did: `existing` when a scenario of the same
    name was there already (answered, activated if asked, rather than made twice)."""

    scenario: Scenario
    existing: bool
    activated: bool  # activated by this call
    note: str | None = None  # for `existing`, what happened, in words


PREFERRED = {"active": 0, "paused": 1, "draft": 2}


async def twin(session: AsyncSession, name: str) -> Scenario | None:
    """The scenario of that name that is not ended (an active one first, then the newest)."""
    found = [s for s in await scenarios.list_scenarios(session) if s.name == name]
    found = [s for s in found if s.status in PREFERRED]
    found.sort(key=lambda s: (PREFERRED[s.status], -s.created_at.timestamp()))
    return found[0] if found else None


async def use(
    session: AsyncSession,
    definitions: Definitions,
    definition: ScenarioDefinition,
    *,
    activate: bool,
    new: bool,
) -> Used:
    """The template's scenario: the one of the same name if there is one (activated with
    `activate`), unless `new` asks for another; else created, as `POST /scenarios` would."""
    existing = None if new else await twin(session, definition.name)
    if existing is None:
        created = await lifecycle.create(session, definitions, definition, activate=activate)
        return Used(created, existing=False, activated=activate)
    was = existing.status
    if activate and was in ("draft", "paused"):
        changed = await lifecycle.transition(session, definitions, existing.id, "activate")
        existing = changed.scenario
    said = f"{existing.id} {definition.name!r} (v{existing.version}) was there already"
    if activate and was != existing.status:
        done = f"{said}: activated it rather than make a second"
    elif activate:
        done = f"{said} and is {was}: nothing changed"
    else:
        done = f"{said} ({was}): answered it rather than make a second"
    return Used(
        existing,
        existing=True,
        activated=was != existing.status,
        note=f'{done} ("new": true makes another)',
    )
