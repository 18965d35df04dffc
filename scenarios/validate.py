"""Full validation of a submitted definition: the pydantic model, then LINE's message rules.
Every problem is reported with its path in the submitted document, e.g. `steps[2].window.start`."""

from typing import Any

from pydantic import ValidationError

from core.linemsg import check_messages
from scenarios.conditions import audiences_named
from scenarios.definition import BranchStep, MessageStep, ScenarioDefinition, walk_steps


class DefinitionError(ValueError):
    def __init__(self, errors: list[dict[str, str]]):
        super().__init__("; ".join(f"{e['path']}: {e['msg']}" for e in errors))
        self.errors = errors


def document_path(loc: tuple[str | int, ...], data: Any, root: str = "") -> str:
    """Render a pydantic error location against the document itself, dropping the union tags
    pydantic inserts (`message`, `function-after[...]`) that are not keys of the document."""
    parts: list[str] = [root] if root else []
    node = data
    for position, key in enumerate(loc):
        last = position == len(loc) - 1
        if isinstance(key, int) and isinstance(node, list) and 0 <= key < len(node):
            parts.append(f"[{key}]")
            node = node[key]
        elif isinstance(key, str) and isinstance(node, dict) and (key in node or last):
            parts.append(f".{key}" if parts else key)
            node = node.get(key)
        elif last and isinstance(key, int):
            parts.append(f"[{key}]")
    return "".join(parts) or "(document)"


def pydantic_errors(exc: ValidationError, data: Any, root: str = "") -> list[dict[str, str]]:
    return [
        {
            "path": document_path(tuple(err["loc"]), data, root),
            "msg": err["msg"].removeprefix("Value error, "),
            "type": err["type"],
        }
        for err in exc.errors(include_url=False)
    ]


def message_errors(definition: ScenarioDefinition) -> list[dict[str, str]]:
    """LINE's own rules for every message object (1–5 per step, text length, https media…)."""
    return [
        {"path": problem.path, "msg": problem.message, "type": "line_message"}
        for path, step in walk_steps(definition.steps)
        if isinstance(step, MessageStep)
        for problem in check_messages(step.messages, f"{path}.messages")
    ]


def audience_references(definition: ScenarioDefinition) -> list[tuple[str, str]]:
    """(path, audience id) for every audience a branch condition names."""
    return [
        (f"{path}.branches[{index}].when", audience)
        for path, step in walk_steps(definition.steps)
        if isinstance(step, BranchStep)
        for index, branch in enumerate(step.branches)
        for audience in audiences_named(branch.when)
    ]


def validate_definition(data: Any) -> ScenarioDefinition:
    """The definition, or DefinitionError listing every problem with its path (the checks
    that need no database: the CLI and tests use it; the API adds the audience check)."""
    try:
        definition = ScenarioDefinition.model_validate(data)
    except ValidationError as exc:
        raise DefinitionError(pydantic_errors(exc, data)) from None
    errors = message_errors(definition)
    if errors:
        raise DefinitionError(errors)
    return definition
