"""Ready scenarios (docs/CONTRACT.md §1): the four LINE templates under `templates/`, each created as a
scenario with one call, through the same checks and store as `POST /scenarios`."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.deps import Admin, ServicesDep, SessionDep
from api.errors import StrictJSONRoute
from api.schemas import ScenarioWarned
from app import overlaps, templates
from scenarios.definition import ScenarioDefinition
from scenarios.validate import DefinitionError, pydantic_errors

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
    new: bool = Field(
        False, description="a new scenario even when one of the same name is there already"
    )


class FromTemplateAnswer(ScenarioWarned):
    existing: bool = Field(description="a scenario of the same name was there: this is it")
    activated: bool = Field(description="activated by this call")
    note: str | None = Field(None, description="with `existing`: what was done, in words")


@router.get("", response_model=list[TemplatePublic])
async def list_templates() -> list[dict[str, str]]:
    """The ready scenarios: `name` to create one, `title` (the scenario's name), `description`."""
    return templates.listing()


@router.post(
    "/{name}/scenarios",
    status_code=status.HTTP_201_CREATED,
    response_model=FromTemplateAnswer,
    responses={200: {"description": "a scenario of the same name was there: that one"}},
)
async def create_from_template(
    name: str,
    session: SessionDep,
    services: ServicesDep,
    response: Response,
    body: Annotated[FromTemplate | None, Body()] = None,
) -> dict[str, Any]:
    """Create a scenario (version 1, draft) from a template, exactly as `POST /scenarios` would
    with the template's definition; `activate: true` then activates it like
    `POST /scenarios/{id}/activate`. When a scenario of the same name (the template's, or
    `name`) is there already and not ended, no twin is made: 200 with that one (`existing`,
    activated with `activate: true`, its definition and cap as they are), unless `new: true`."""
    document = templates.document(name)
    body = body or FromTemplate()
    if body.name is not None:
        document["name"] = body.name
    if "delivery_cap" in body.model_fields_set:
        document["delivery_cap"] = body.delivery_cap
    try:
        definition = ScenarioDefinition.model_validate(document)
    except ValidationError as exc:  # a template edited into something invalid
        raise DefinitionError(pydantic_errors(exc, document)) from None
    used = await templates.use(
        session, services.definitions, definition, activate=body.activate, new=body.new
    )
    if used.existing:
        response.status_code = status.HTTP_200_OK
    return {
        **used.scenario.model_dump(),
        "existing": used.existing,
        "activated": used.activated,
        "note": used.note,
        "warnings": await overlaps.of_scenario(session, used.scenario),
    }
