"""The ready scenarios under templates/ (docs/CONTRACT.md §1) and examples/ are valid definitions, and every
template speaks Japanese or English, by the friend's LINE language."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from domain.conditions import AllCondition, AnyCondition, NotCondition, leaves
from domain.steps import (
    BranchStep,
    MessageStep,
    SplitStep,
    TagStep,
    WaitForStep,
    WaitStep,
    walk_steps,
)
from scenarios.definition import ScenarioDefinition
from scenarios.validate import conditions_of, validate_definition
from store.conditions import attribute_holds

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates").glob("*.yaml"))
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
READ = ("text", "label", "title", "altText")
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")  # kana, kanji, full-width


def load(path: Path) -> ScenarioDefinition:
    return validate_definition(yaml.safe_load(path.read_text(encoding="utf-8")))


def steps_of(definition: ScenarioDefinition) -> list:
    return [step for _, step in walk_steps(definition.steps)]


def paths(definition: ScenarioDefinition) -> tuple[list, list]:
    """(Japanese steps, English steps): the two sides of the first step, the language branch."""
    language = definition.steps[0]
    assert isinstance(language, BranchStep) and language.id == "language"
    (japanese,) = language.branches
    return japanese.steps, language.otherwise


def flat(steps: list) -> list:
    return [step for _, step in walk_steps(steps)]


def strings(node: Any) -> list[str]:
    """Every string a friend reads in a message: texts, labels, titles, alt texts."""
    if isinstance(node, dict):
        return [
            text
            for key, value in node.items()
            for text in ([value] if key in READ and isinstance(value, str) else strings(value))
        ]
    if isinstance(node, list):
        return [text for item in node for text in strings(item)]
    return []


def decide(condition: Any, attributes: dict[str, Any]) -> bool:
    """A condition made only of attribute conditions, for these attributes."""
    match condition:
        case AllCondition(all=parts):
            return all(decide(part, attributes) for part in parts)
        case AnyCondition(any=parts):
            return any(decide(part, attributes) for part in parts)
        case NotCondition(not_=inner):
            return not decide(inner, attributes)
    return attribute_holds(condition, attributes)


def test_the_four_templates_of_line_are_there() -> None:
    assert [path.name for path in TEMPLATES] == [
        "follow-up.yaml",
        "product-promotion.yaml",
        "review-request.yaml",
        "revisit-promotion.yaml",
    ]
    assert [path.name for path in EXAMPLES] == ["cart-reminder.yaml", "quick-demo.yaml"]


@pytest.mark.parametrize("path", TEMPLATES + EXAMPLES, ids=lambda path: path.name)
def test_valid_definition_including_line_message_checks(path: Path) -> None:
    definition = load(path)
    assert definition.trigger.type == ("event" if path.name == "cart-reminder.yaml" else "follow")
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
def test_the_friends_line_language_picks_japanese_or_english(path: Path) -> None:
    language = load(path).steps[0]
    assert isinstance(language, BranchStep)
    (japanese,) = language.branches
    assert {leaf.attribute for _, leaf in leaves(japanese.when)} == {"language"}
    for attributes, expected in [
        ({"language": "ja"}, True),
        ({}, True),  # LINE has not told us: a Japanese shop speaks Japanese
        ({"language": ""}, True),
        ({"language": "en"}, False),
        ({"language": "zh-Hant"}, False),
        ({"language": "ko"}, False),
    ]:
        assert decide(japanese.when, attributes) is expected, attributes
    assert language.otherwise, "the English path"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.name)
def test_japanese_and_english_paths_are_the_same_journey_in_two_languages(path: Path) -> None:
    japanese, english = paths(load(path))

    def shape(steps: list, suffix: str) -> list:
        found = []
        for step in flat(steps):
            assert step.id.endswith(suffix), step.id
            found.append(
                (
                    step.id.removesuffix(suffix),
                    step.type,
                    getattr(step, "window", None),
                    getattr(step, "duration", None) or getattr(step, "timeout", None),
                    [len(children) for _, children in step.children()],
                    [arm.weight for arm in step.arms] if isinstance(step, SplitStep) else None,
                    step.add if isinstance(step, TagStep) else None,
                    [m["type"] for m in step.messages] if isinstance(step, MessageStep) else None,
                )
            )
        return found

    assert shape(japanese, "-ja") == shape(english, "-en")
    messages = {
        "ja": [s for s in flat(japanese) if isinstance(s, MessageStep)],
        "en": [s for s in flat(english) if isinstance(s, MessageStep)],
    }
    assert len(messages["ja"]) >= 4
    for step in messages["ja"]:
        for text in strings(step.messages):
            assert JAPANESE.search(text), f"{step.id}: {text!r} is not Japanese"
    for step in messages["en"]:
        for text in strings(step.messages) + list(step.defaults.values()):
            assert not JAPANESE.search(text), f"{step.id}: {text!r} is not English"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.name)
def test_the_welcome_goes_out_at_once_by_name_with_a_fallback(path: Path) -> None:
    japanese, english = paths(load(path))
    for steps, fallback, greeting in [
        (japanese, "お客", "{displayName}様"),
        (english, "there", "Hi {displayName},"),
    ]:
        welcome = steps[0]
        assert isinstance(welcome, MessageStep) and welcome.window is None
        assert welcome.messages[0]["text"].startswith(greeting)
        assert welcome.defaults == {"displayName": fallback}


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.name)
def test_later_messages_keep_to_opening_hours_after_waits_of_days(path: Path) -> None:
    definition = load(path)
    hours = ("10:00", "19:00") if path.name == "review-request.yaml" else ("10:00", "20:00")
    for steps in paths(definition):
        welcome, *later = flat(steps)
        for step in later:
            if isinstance(step, MessageStep):
                assert (step.window.start, step.window.end) == hours, step.id
        waits = [s.delta for s in later if isinstance(s, WaitStep | WaitForStep)]
        assert waits and all(wait.days >= 1 for wait in waits)
    assert definition.delivery_cap


def test_the_templates_use_the_journey_features() -> None:
    definitions = {path.stem: load(path) for path in TEMPLATES}
    kinds = {
        name: {step.type for step in steps_of(definition)}
        for name, definition in definitions.items()
    }
    conditions = {
        name: {
            type(leaf).__name__
            for _, condition in conditions_of(definition)
            for _, leaf in leaves(condition)
        }
        for name, definition in definitions.items()
    }
    exits = {name: definition.exit for name, definition in definitions.items()}
    # revisit: waits for a booking, and ends the moment the friend is back
    assert "wait_for" in kinds["revisit-promotion"]
    assert [condition.event for condition in exits["revisit-promotion"]] == ["visit"]
    # product: offers only to friends who tapped the card, an A/B split with a holdout,
    # and nothing more after a purchase
    assert "ClickedCondition" in conditions["product-promotion"]
    split = next(s for s in steps_of(definitions["product-promotion"]) if s.type == "split")
    assert [arm.steps == [] for arm in split.arms] == [False, False, True]
    assert [condition.event for condition in exits["product-promotion"]] == ["purchase"]
    # review: a patient who asks for help is tagged for a call back
    tag = next(s for s in steps_of(definitions["review-request"]) if s.type == "tag")
    assert tag.add == ["needs-follow-up"]
    assert {"wait_for", "tag"} <= kinds["review-request"]
    # follow-up: a first-visit offer for friends who opened the menu
    assert "ClickedCondition" in conditions["follow-up"]


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


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.name)
def test_template_messages_keep_to_lines_length_limits(path: Path) -> None:
    """LINE's limits for template messages that the schema does not encode (so the message
    check does not catch them): title 40, text 160 (60 with a title or an image), confirm text
    240, action labels 20."""
    for step in steps_of(load(path)):
        if not isinstance(step, MessageStep):
            continue
        for message in step.messages:
            if message["type"] != "template":
                continue
            template = message["template"]
            if template["type"] == "confirm":
                assert len(template["text"]) <= 240, step.id
            else:
                assert len(template.get("title", "")) <= 40, step.id
                limit = 60 if "title" in template or "thumbnailImageUrl" in template else 160
                assert len(template["text"]) <= limit, (step.id, len(template["text"]))
            for action in template["actions"]:
                assert len(action["label"]) <= 20, (step.id, action["label"])


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
