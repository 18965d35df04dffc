"""Ready scenarios (docs/CONTRACT.md §1): the four LINE templates under `templates/`, each created as a
scenario with one call, through the same checks and store as `POST /scenarios`."""

from pathlib import Path
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Body, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.deps import Admin, ServicesDep, SessionDep
from api.errors import StrictJSONRoute
from api.schemas import ScenarioRef
from app import lifecycle
from scenarios.definition import ScenarioDefinition
from scenarios.validate import DefinitionError, pydantic_errors
from store.tables import Scenario

# the repository's templates/, next to api/ (as `stepline dev` finds examples/)
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

router = APIRouter(
    prefix="/templates", tags=["templates"], dependencies=Admin, route_class=StrictJSONRoute
)


class TemplatePublic(BaseModel):
    name: str = Field(examples=["follow-up"])
    title: str = Field(examples=["友だち追加後のフォローアップ"])
    description: str


class FromTemplate(BaseModel):
    """What to change in the template; every field is optional."""

    model_config = ConfigDict(extra="forbid", strict=True)
    name: str | None = Field(None, min_length=1, max_length=200, description="scenario name")
    activate: bool = Field(False, description="activate it at once (default: a draft)")
    delivery_cap: int | None = Field(
        None, ge=1, le=2_147_483_647, description="messages it may send in total; null: no cap"
    )


def _files() -> dict[str, Path]:
    return {path.stem: path for path in sorted(TEMPLATES.glob("*.yaml"))}


def _file(name: str) -> Path:
    files = _files()
    if name not in files:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            detail=f"no template {name!r} (there are: {', '.join(files) or 'none'})",
        )
    return files[name]


def _document(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _description(path: Path) -> str:
    """The comment at the top of the file, as one paragraph."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return " ".join(line for line in lines if line)


@router.get("", response_model=list[TemplatePublic])
async def list_templates() -> list[dict[str, str]]:
    """The ready scenarios: `name` to create one, `title` (the scenario's name), `description`."""
    return [
        {"name": name, "title": _document(path)["name"], "description": _description(path)}
        for name, path in _files().items()
    ]


@router.post("/{name}/scenarios", status_code=status.HTTP_201_CREATED, response_model=ScenarioRef)
async def create_from_template(
    name: str,
    session: SessionDep,
    services: ServicesDep,
    body: Annotated[FromTemplate | None, Body()] = None,
) -> Scenario:
    """Create a scenario (version 1, draft) from a template, exactly as `POST /scenarios` would
    with the template's definition; `activate: true` then activates it like
    `POST /scenarios/{id}/activate`."""
    document = _document(_file(name))
    body = body or FromTemplate()
    if body.name is not None:
        document["name"] = body.name
    if "delivery_cap" in body.model_fields_set:
        document["delivery_cap"] = body.delivery_cap
    try:
        definition = ScenarioDefinition.model_validate(document)
    except ValidationError as exc:  # a template edited into something invalid
        raise DefinitionError(pydantic_errors(exc, document)) from None
    return await lifecycle.create(session, services.definitions, definition, activate=body.activate)
