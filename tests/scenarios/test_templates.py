"""The ready scenarios under templates/ (SPEC §1) and examples/ are valid definitions."""

from pathlib import Path

import pytest
import yaml

from scenarios.definition import BranchStep, MessageStep, ScenarioDefinition, WaitStep, walk_steps
from scenarios.validate import validate_definition

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates").glob("*.yaml"))
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def load(path: Path) -> ScenarioDefinition:
    return validate_definition(yaml.safe_load(path.read_text(encoding="utf-8")))


def steps_of(definition: ScenarioDefinition) -> list:
    return [step for _, step in walk_steps(definition.steps)]


def test_the_four_templates_of_line_are_there() -> None:
    assert [path.name for path in TEMPLATES] == [
        "follow-up.yaml",
        "product-promotion.yaml",
        "review-request.yaml",
        "revisit-promotion.yaml",
    ]
    assert [path.name for path in EXAMPLES] == ["quick-demo.yaml"]


@pytest.mark.parametrize("path", TEMPLATES + EXAMPLES, ids=lambda path: path.name)
def test_valid_definition_including_line_message_checks(path: Path) -> None:
    definition = load(path)
    assert definition.trigger.type == "follow"
    # No ids that exist only on one account: audiences (ours) or coupons (LINE's).
    text = path.read_text(encoding="utf-8")
    assert "audience" not in text.replace("audiences", "")
    assert "coupon" not in [
        message["type"]
        for step in steps_of(definition)
        if isinstance(step, MessageStep)
        for message in step.messages
    ]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.name)
def test_template_has_a_branch_a_window_and_waits_of_days(path: Path) -> None:
    steps = steps_of(load(path))
    branches = [step for step in steps if isinstance(step, BranchStep)]
    assert branches, "every template branches on something"
    assert all(step.otherwise for step in branches), "everyone gets a message"
    assert any(isinstance(step, MessageStep) and step.window for step in steps)
    waits = [step.delta for step in steps if isinstance(step, WaitStep)]
    assert waits and all(wait.days >= 1 for wait in waits)
    # The first message goes out at once, without a window, like LINE's templates.
    first = load(path).steps[0]
    assert isinstance(first, MessageStep) and first.window is None


def test_templates_use_several_message_kinds() -> None:
    kinds: set[str] = set()
    for path in TEMPLATES:
        for step in steps_of(load(path)):
            if isinstance(step, MessageStep):
                for message in step.messages:
                    kinds.add(message["type"])
                    if message["type"] == "template":
                        kinds.add(f"template/{message['template']['type']}")
    assert {
        "text",
        "sticker",
        "image",
        "flex",
        "template/buttons",
        "template/confirm",
    } <= kinds


def test_quick_demo_plays_out_within_two_minutes() -> None:
    definition = load(ROOT / "examples" / "quick-demo.yaml")
    steps = steps_of(definition)
    assert sum(step.delta.total_seconds() for step in steps if isinstance(step, WaitStep)) <= 120
    assert not any(isinstance(step, MessageStep) and step.window for step in steps)
    branch = next(step for step in steps if isinstance(step, BranchStep))
    (gold,) = branch.branches
    assert (gold.when.attribute, gold.when.equals) == ("plan", "gold")
    assert gold.steps[0].messages == [{"type": "text", "text": "Gold member offer"}]
    assert branch.otherwise[0].messages[0]["text"] != "Gold member offer"
    last = definition.steps[-1]
    assert isinstance(last, MessageStep)
    assert [message["type"] for message in last.messages] == ["text", "sticker"]
