"""A draft checked as the API would check it on save (the same rules, the same messages and
paths), and its document as YAML for the studio's text tab — a round trip that gives back the
same document."""

from typing import Any

import yaml
from sqlmodel.ext.asyncio.session import AsyncSession

from app import lifecycle
from scenarios.definition import ScenarioDefinition
from scenarios.validate import DefinitionError, validate_definition

MAX_YAML = 1_000_000  # characters of the text tab


async def problems(
    session: AsyncSession, document: dict[str, Any], scenario_id: str | None = None
) -> tuple[ScenarioDefinition | None, list[dict[str, str]]]:
    """(the definition, []) when it would be saved; (None, every problem with its path)."""
    try:
        definition = validate_definition(document)
        return await lifecycle.checked(session, definition, scenario_id), []
    except DefinitionError as exc:
        return None, list(exc.errors)


def as_yaml(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)


class NotYaml(ValueError):
    """The text tab's content is not a YAML (or JSON) object."""


def from_yaml(text: str) -> dict[str, Any]:
    if len(text) > MAX_YAML:
        raise NotYaml(f"at most {MAX_YAML:,} characters")
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise NotYaml(f"not valid YAML: {exc}") from None
    if not isinstance(document, dict):
        raise NotYaml("must be a scenario: an object with name, trigger and steps")
    return _plain(document)


def _plain(value: Any) -> Any:
    """YAML's dates and times as the ISO text the API takes (JSON has neither)."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
