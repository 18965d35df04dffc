"""Full validation of a submitted definition: the pydantic model, then LINE's message rules.
Every problem is reported with its path in the submitted document, e.g. `steps[2].window.start`."""

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from core.linemsg import check_messages
from core.personalize import placeholder_problems
from domain.conditions import ClickedCondition, audiences_named, condition_kind, leaves
from domain.steps import MessageStep, SurveyStep, SwitchStep, WaitStep, walk_steps
from domain.steps.parts import MAX_WAIT
from scenarios.definition import ScenarioDefinition
from scenarios.trigger import AudienceTrigger


class DefinitionError(ValueError):
    def __init__(self, errors: list[dict[str, str]]):
        super().__init__("; ".join(f"{e['path']}: {e['msg']}" for e in errors))
        self.errors = errors


def _union_tag(node: Any) -> str | None:
    """The tag pydantic puts into an error location right after entering a tagged-union value:
    a step's or trigger's `type`, or a condition's kind. A condition's tag is also one of its own
    keys (`{attribute: age, between: …}` is tagged `attribute`), so it must not be read as one."""
    if not isinstance(node, dict):
        return None
    kind = node.get("type")
    if isinstance(kind, str):
        return kind
    return condition_kind(node) if "label" not in node else None


_MEMBERS = frozenset({"str", "int", "float", "bool", "none", "list", "dict"})
# top-level fields whose value is a plain model, never a tagged union: `goal: {event: …}` looks
# like an event condition, but its `event` is a key, not a tag
_PLAIN = frozenset({"goal"})


def _member(key: object, node: Any) -> bool:
    """A plain union's member name pydantic puts into a location (`set.arm.str`): not a key."""
    return isinstance(key, str) and key in _MEMBERS and not (isinstance(node, dict) and key in node)


def document_path(loc: tuple[str | int, ...], data: Any, root: str = "") -> str:
    """Render a pydantic error location against the document itself, dropping the union tags
    pydantic inserts (`message`, `attribute`, `function-after[...]`, `str`) that are not keys
    of the document."""
    parts: list[str] = [root] if root else []
    node = data
    entered = False  # just stepped into a value: the next element may be its union tag
    for position, key in enumerate(loc):
        last = position == len(loc) - 1
        if _member(key, node):
            continue
        following = None if last else loc[position + 1]
        # a data dict (`set`, `properties`) may have a key named like a condition kind: it is
        # a key, not a tag, when a plain union's member name follows it
        if (
            entered
            and isinstance(key, str)
            and key == _union_tag(node)
            and not (isinstance(node, dict) and key in node and _member(following, node[key]))
        ):
            entered = False
            continue
        entered = False
        if isinstance(key, int) and isinstance(node, list) and 0 <= key < len(node):
            parts.append(f"[{key}]")
            node = node[key]
            entered = True
        elif isinstance(key, str) and isinstance(node, dict) and (key in node or last):
            parts.append(f".{key}" if parts else key)
            node = node.get(key)
            entered = not (position == 0 and key in _PLAIN)
        elif last and isinstance(key, int):
            parts.append(f"[{key}]")
    return "".join(parts) or "(document)"


def error_path(err: Mapping[str, Any], data: Any, root: str = "") -> str:
    """The document path of one pydantic error; a wrong or missing union tag names the field
    that carries it (`steps[1].type`, `trigger.type`), not the object around it."""
    path = document_path(tuple(err["loc"]), data, root)
    ctx = err.get("ctx") or {}
    discriminator = str(ctx.get("discriminator", "")).strip("'")
    if err["type"] in ("union_tag_invalid", "union_tag_not_found") and discriminator.isidentifier():
        return discriminator if path == "(document)" else f"{path}.{discriminator}"
    return path


def pydantic_errors(exc: ValidationError, data: Any, root: str = "") -> list[dict[str, str]]:
    return [
        {
            "path": error_path(err, data, root),
            "msg": err["msg"].removeprefix("Value error, "),
            "type": err["type"],
        }
        for err in exc.errors(include_url=False)
    ]


def message_errors(definition: ScenarioDefinition) -> list[dict[str, str]]:
    """LINE's own rules for every message object (1–5 per step, text length, https media…),
    and placeholders that look like ours but are misspelt (`{displayname}`, `{attribute:}`)."""
    errors = []
    for path, step in walk_steps(definition.steps):
        if isinstance(step, SurveyStep):  # the question is a text message: its placeholders
            question = [{"type": "text", "text": step.question}]
            for problem in placeholder_problems(question, {}, path):
                where = problem.path.replace(".messages[0].text", ".question")
                errors.append({"path": where, "msg": problem.message, "type": "placeholder"})
        if isinstance(step, MessageStep):
            for problem in check_messages(step.messages, f"{path}.messages"):
                errors.append(
                    {"path": problem.path, "msg": problem.message, "type": "line_message"}
                )
            for problem in placeholder_problems(step.messages, step.defaults, path):
                errors.append({"path": problem.path, "msg": problem.message, "type": "placeholder"})
            for index, message in enumerate(step.messages):
                coupon_id = message.get("couponId")
                if message.get("type") == "coupon" and isinstance(coupon_id, str):
                    if not coupon_id.strip() or "/" in coupon_id or len(coupon_id) > 100:
                        errors.append(
                            {
                                "path": f"{path}.messages[{index}].couponId",
                                "msg": "must be a coupon id from POST /coupons (LINE's couponId)",
                                "type": "line_message",
                            }
                        )
    return errors


def conditions_of(definition: ScenarioDefinition) -> Iterator[tuple[str, Any]]:
    """(path, condition) for every condition: branch `when`s, `wait_for.until`s, `exit`."""
    for index, condition in enumerate(definition.exit or []):
        yield f"exit[{index}]", condition
    for path, step in walk_steps(definition.steps):
        for where, condition in step.conditions():
            yield f"{path}.{where}", condition


def audience_references(definition: ScenarioDefinition) -> list[tuple[str, str]]:
    """(path of the `audience` field, audience id) for every audience the definition names."""
    found = [
        (f"{path}{where}.audience", audience)
        for path, condition in conditions_of(definition)
        for where, audience in audiences_named(condition)
    ]
    if isinstance(definition.trigger, AudienceTrigger):
        found.insert(0, ("trigger.audience", definition.trigger.audience))
    return found


def scenario_references(definition: ScenarioDefinition) -> list[tuple[str, str]]:
    """(path, scenario id) for every `switch` step."""
    return [
        (f"{path}.scenario", step.scenario)
        for path, step in walk_steps(definition.steps)
        if isinstance(step, SwitchStep)
    ]


def reference_errors(definition: ScenarioDefinition) -> list[dict[str, str]]:
    """`clicked` must name a message step of this scenario."""
    message_steps = {
        step.id for _, step in walk_steps(definition.steps) if isinstance(step, MessageStep)
    }
    return [
        {
            "path": f"{path}{where}.clicked",
            "msg": f"no message step {leaf.clicked!r} in this scenario",
            "type": "unknown_step",
        }
        for path, condition in conditions_of(definition)
        for where, leaf in leaves(condition)
        if isinstance(leaf, ClickedCondition) and leaf.clicked not in message_steps
    ]


def wait_errors(definition: ScenarioDefinition, now: datetime) -> list[dict[str, str]]:
    """A wait `until` a moment more than 365 days after `now` (the moment the definition is
    submitted) is refused like a `duration` over P365D. One already past is fine: it does not
    wait. (Not a model rule: a stored definition must read back the same whenever it is read.)"""
    return [
        {
            "path": f"{path}.until",
            "msg": f"must be at most {MAX_WAIT.days} days ahead (P{MAX_WAIT.days}D from now)",
            "type": "wait_too_far",
        }
        for path, step in walk_steps(definition.steps)
        if isinstance(step, WaitStep)
        and isinstance(step.until, datetime)  # a date attribute's: per friend, not checked
        and step.until - now > MAX_WAIT
    ]


def validate_definition(data: Any, *, now: datetime | None = None) -> ScenarioDefinition:
    """The definition, or DefinitionError listing every problem with its path (the checks
    that need no database: the CLI and tests use it; the API adds the audience check).
    `now`: the moment `until` waits are measured from (the current time)."""
    try:
        definition = ScenarioDefinition.model_validate(data)
    except ValidationError as exc:
        raise DefinitionError(pydantic_errors(exc, data)) from None
    errors = (
        message_errors(definition)
        + reference_errors(definition)
        + wait_errors(definition, now or datetime.now(UTC))
    )
    if errors:
        raise DefinitionError(errors)
    return definition
