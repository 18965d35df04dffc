"""The targeting step types, triggers and conditions of a definition (docs/CONTRACT.md §3.1 "More step
types"): wait_for, split, tag, attribute, switch; event and audience triggers; event and clicked
conditions; `exit` and `reentry`. Valid ones survive a round trip, invalid ones are rejected
with the path of the offending field."""

import copy
import json
from datetime import timedelta
from typing import Any

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter

from domain.conditions import ClickedCondition, EventCondition
from domain.steps import AttributeStep, SplitStep, SwitchStep, TagStep, WaitForStep, walk_steps
from scenarios.definition import ScenarioDefinition
from scenarios.trigger import AudienceTrigger, EventTrigger
from scenarios.validate import (
    DefinitionError,
    audience_references,
    scenario_references,
    validate_definition,
)

AUDIENCE = "aud_3f9a1c0b7e2d"
OTHER_SCENARIO = "scn_7c1e0d9b2a4f"


def message(step_id: str, text: str | None = None, **extra: Any) -> dict:
    body = text if text is not None else step_id
    return {"id": step_id, "type": "message", "messages": [{"type": "text", "text": body}], **extra}


# A journey using every new step type; indices are referred to by the rejection cases below.
JOURNEY: dict[str, Any] = {
    "name": "Cart recovery",
    "timezone": "Asia/Tokyo",
    "trigger": {"type": "event", "event": "cart_add", "properties": {"category": "shoes"}},
    "reentry": True,
    "exit": [
        {"event": "purchase"},
        {"clicked": "welcome"},
        {"event": "refund", "within": "P7D", "properties": {"amount": 4800, "gift": False}},
    ],
    "steps": [
        message(
            "welcome",
            "Hi {displayName}, your {attribute:plan} cart is waiting",
            defaults={"displayName": "there", "attribute:plan": "free"},
        ),
        {
            "id": "cart",
            "type": "wait_for",
            "until": {"event": "purchase", "within": "P3D", "properties": {"sku": "A-100"}},
            "timeout": "P3D",
            "then": [message("thanks"), {"id": "thanks-tag", "type": "tag", "add": ["buyer"]}],
            "on_timeout": [message("reminder")],
        },
        {
            "id": "ab",
            "type": "split",
            "arms": [
                {"label": "A", "weight": 50, "steps": [message("offer-a")]},
                {"label": "B", "weight": 40, "steps": [message("offer-b")]},
                {"label": "holdout", "weight": 10, "steps": []},
            ],
        },
        {"id": "t", "type": "tag", "add": ["vip"], "remove": ["trial"]},
        {"id": "s", "type": "attribute", "set": {"arm": "A", "score": 2, "ratio": 0.5, "x": True}},
        {
            "id": "clicked-offer",
            "type": "branch",
            "branches": [
                {
                    "label": "clicked A",
                    "when": {"any": [{"clicked": "offer-a"}, {"not": {"clicked": "offer-b"}}]},
                    "steps": [message("after-a")],
                },
                {"label": "VIP", "when": {"audience": AUDIENCE}, "steps": []},
            ],
            "otherwise": [{"id": "next", "type": "switch", "scenario": OTHER_SCENARIO}],
        },
        {
            "id": "clicked-wait",
            "type": "wait_for",
            "until": {"all": [{"clicked": "thanks"}, {"tag": "vip"}]},
            "timeout": "PT12H",
        },
        {"id": "bye", "type": "switch", "scenario": OTHER_SCENARIO},
    ],
}


def journey() -> dict[str, Any]:
    return copy.deepcopy(JOURNEY)


def minimal(*steps: dict, **extra: Any) -> dict[str, Any]:
    return {"name": "n", "trigger": {"type": "follow"}, "steps": list(steps), **extra}


# --- valid definitions ----------------------------------------------------------------------


def test_journey_parses_into_the_new_models() -> None:
    definition = validate_definition(journey())
    assert isinstance(definition.trigger, EventTrigger)
    assert definition.trigger.event == "cart_add"
    assert definition.trigger.properties == {"category": "shoes"}
    assert definition.reentry is True
    purchase, clicked, refund = definition.exit
    assert isinstance(purchase, EventCondition) and purchase.period is None
    assert isinstance(clicked, ClickedCondition) and clicked.clicked == "welcome"
    assert refund.period == timedelta(days=7) and refund.properties == {
        "amount": 4800,
        "gift": False,
    }

    _, cart, ab, tag, attribute, _, clicked_wait, bye = definition.steps
    assert isinstance(cart, WaitForStep) and cart.delta == timedelta(days=3)
    assert isinstance(cart.until, EventCondition) and cart.until.period == timedelta(days=3)
    assert [step.id for step in cart.then] == ["thanks", "thanks-tag"]
    assert [step.id for step in cart.on_timeout] == ["reminder"]
    assert isinstance(ab, SplitStep)
    assert [(arm.label, arm.weight) for arm in ab.arms] == [("A", 50), ("B", 40), ("holdout", 10)]
    assert ab.arms[2].steps == []
    assert isinstance(tag, TagStep) and (tag.add, tag.remove) == (["vip"], ["trial"])
    assert isinstance(attribute, AttributeStep)
    assert attribute.set == {"arm": "A", "score": 2, "ratio": 0.5, "x": True}
    assert isinstance(clicked_wait, WaitForStep) and clicked_wait.delta == timedelta(hours=12)
    assert clicked_wait.then == [] and clicked_wait.on_timeout == []
    assert isinstance(bye, SwitchStep) and bye.scenario == OTHER_SCENARIO


def test_walk_steps_enters_then_on_timeout_and_arms() -> None:
    definition = validate_definition(journey())
    assert [(path, step.id) for path, step in walk_steps(definition.steps)] == [
        ("steps[0]", "welcome"),
        ("steps[1]", "cart"),
        ("steps[1].then[0]", "thanks"),
        ("steps[1].then[1]", "thanks-tag"),
        ("steps[1].on_timeout[0]", "reminder"),
        ("steps[2]", "ab"),
        ("steps[2].arms[0].steps[0]", "offer-a"),
        ("steps[2].arms[1].steps[0]", "offer-b"),
        ("steps[3]", "t"),
        ("steps[4]", "s"),
        ("steps[5]", "clicked-offer"),
        ("steps[5].branches[0].steps[0]", "after-a"),
        ("steps[5].otherwise[0]", "next"),
        ("steps[6]", "clicked-wait"),
        ("steps[7]", "bye"),
    ]
    assert definition.step("offer-b").id == "offer-b"
    assert definition.step("nowhere") is None


def test_references_are_listed_with_their_paths() -> None:
    definition = validate_definition(journey())
    assert audience_references(definition) == [("steps[5].branches[1].when.audience", AUDIENCE)]
    assert scenario_references(definition) == [
        ("steps[5].otherwise[0].scenario", OTHER_SCENARIO),
        ("steps[7].scenario", OTHER_SCENARIO),
    ]


def contains(actual: Any, expected: Any) -> bool:
    """`actual` is `expected` with, at most, defaulted fields added to its objects."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and contains(actual[key], value) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(contains(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return type(actual) is type(expected) and actual == expected


def test_dump_keeps_every_new_field() -> None:
    document = journey()
    dumped = validate_definition(document).dump()
    assert contains(dumped, document), dumped
    assert dumped["trigger"] == document["trigger"]
    assert dumped["exit"] == document["exit"]
    assert dumped["steps"][1]["until"] == document["steps"][1]["until"]
    assert dumped["steps"][2]["arms"][2] == {"label": "holdout", "weight": 10, "steps": []}
    assert dumped["steps"][4]["set"] == document["steps"][4]["set"]
    assert dumped["steps"][7] == {"id": "bye", "type": "switch", "scenario": OTHER_SCENARIO}
    assert validate_definition(dumped) == validate_definition(document)
    assert validate_definition(dumped).dump() == dumped


def test_json_and_temporal_round_trips_are_unchanged() -> None:
    definition = validate_definition(journey())
    text = definition.model_dump_json()
    assert ScenarioDefinition.model_validate_json(text) == definition
    assert json.loads(text)["steps"][5]["branches"][0]["when"]["any"][1] == {
        "not": {"clicked": "offer-b"}
    }
    converter = pydantic_data_converter.payload_converter
    (back,) = converter.from_payloads(converter.to_payloads([definition]), [ScenarioDefinition])
    assert back == definition
    assert isinstance(back.steps[2], SplitStep) and isinstance(back.steps[7], SwitchStep)


def test_attribute_step_null_removes_and_survives_the_dump() -> None:
    document = minimal({"id": "s", "type": "attribute", "set": {"trial": None, "plan": "gold"}})
    dumped = validate_definition(document).dump()
    assert dumped["steps"][0]["set"] == {"trial": None, "plan": "gold"}
    assert validate_definition(dumped).steps[0].set == {"trial": None, "plan": "gold"}


def test_audience_trigger() -> None:
    document = minimal(message("hi"), trigger={"type": "audience", "audience": AUDIENCE})
    definition = validate_definition(document)
    assert isinstance(definition.trigger, AudienceTrigger)
    assert audience_references(definition) == [("trigger.audience", AUDIENCE)]
    assert definition.reentry is False
    assert validate_definition(definition.dump()) == definition


def test_event_trigger_without_properties() -> None:
    definition = validate_definition(
        minimal(message("hi"), trigger={"type": "event", "event": "x"})
    )
    assert definition.trigger.properties is None
    assert definition.dump()["trigger"] == {"type": "event", "event": "x"}


@pytest.mark.parametrize(
    "step",
    [
        {"id": "t", "type": "tag", "add": ["vip"]},
        {"id": "t", "type": "tag", "remove": ["trial"]},
    ],
    ids=["add only", "remove only"],
)
def test_tag_step_needs_only_one_side(step: dict) -> None:
    assert validate_definition(minimal(step)).dump()["steps"][0] == {
        "add": [],
        "remove": [],
        **step,
    }


@pytest.mark.parametrize("weights", [[1, 0], [10_000, 10_000], [0, 0, 1]])
def test_split_weights_at_the_limits(weights: list[int]) -> None:
    arms = [{"label": f"arm{i}", "weight": w, "steps": []} for i, w in enumerate(weights)]
    step = {"id": "ab", "type": "split", "arms": arms}
    assert [arm.weight for arm in validate_definition(minimal(step)).steps[0].arms] == weights


@pytest.mark.parametrize("timeout", ["PT1S", "P365D", "P1DT12H", "P2W"])
def test_wait_for_timeout_accepted(timeout: str) -> None:
    step = {"id": "w", "type": "wait_for", "until": {"tag": "vip"}, "timeout": timeout}
    assert validate_definition(minimal(step)).steps[0].timeout == timeout


def test_switch_may_end_a_nested_list() -> None:
    switch = {"id": "sw", "type": "switch", "scenario": OTHER_SCENARIO}
    step = {
        "id": "w",
        "type": "wait_for",
        "until": {"tag": "vip"},
        "timeout": "P1D",
        "then": [message("a"), switch],
    }
    definition = validate_definition(minimal(step, message("after")))
    assert [ref for _, ref in scenario_references(definition)] == [OTHER_SCENARIO]


def test_clicked_may_name_a_message_step_anywhere() -> None:
    # a message step in another arm, or later in the journey, is still a message step
    document = journey()
    document["exit"].append({"clicked": "offer-b"})
    document["steps"][1]["until"] = {"clicked": "after-a"}
    validate_definition(document)


# --- rejections name the path ------------------------------------------------------------


def _set(*path: str | int, value: Any):
    def mutate(document: dict) -> None:
        node = document
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return mutate


def _delete(*path: str | int):
    def mutate(document: dict) -> None:
        node = document
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return mutate


def _insert(*path: str | int, value: Any):
    def mutate(document: dict) -> None:
        node = document
        for key in path[:-1]:
            node = node[key]
        node.insert(path[-1], value)

    return mutate


def _append(*path: str | int, value: Any):
    def mutate(document: dict) -> None:
        node = document
        for key in path:
            node = node[key]
        node.append(value)

    return mutate


CART = ("steps", 1)
AB = ("steps", 2)
SWITCH = {"id": "sw", "type": "switch", "scenario": OTHER_SCENARIO}

REJECTED = {
    # wait_for
    "wait_for timeout PT0S": (_set(*CART, "timeout", value="PT0S"), "steps[1].timeout"),
    "wait_for timeout P366D": (_set(*CART, "timeout", value="P366D"), "steps[1].timeout"),
    "wait_for timeout in words": (_set(*CART, "timeout", value="3 days"), "steps[1].timeout"),
    "wait_for timeout in months": (_set(*CART, "timeout", value="P1M"), "steps[1].timeout"),
    "wait_for without timeout": (_delete(*CART, "timeout"), "steps[1].timeout"),
    "wait_for without until": (_delete(*CART, "until"), "steps[1].until"),
    "wait_for with an unknown condition": (
        _set(*CART, "until", value={"moon": "full"}),
        "steps[1].until",
    ),
    "wait_for with an unknown field": (_set(*CART, "otherwise", value=[]), "steps[1].otherwise"),
    "event condition with within in words": (
        _set(*CART, "until", "within", value="1 week"),
        "steps[1].until.within",
    ),
    "event condition with within PT0S": (
        _set(*CART, "until", "within", value="PT0S"),
        "steps[1].until.within",
    ),
    "event condition with within over 10 years": (
        _set(*CART, "until", "within", value="P3651D"),
        "steps[1].until.within",
    ),
    "event condition without a name": (
        _set(*CART, "until", "event", value=""),
        "steps[1].until.event",
    ),
    "event condition with a non-scalar property": (
        _set(*CART, "until", "properties", value={"sku": ["A-100"]}),
        "steps[1].until.properties.sku",
    ),
    "event condition with an unknown field": (
        _set(*CART, "until", "count", value=2),
        "steps[1].until.count",
    ),
    "exit event condition with bad within": (
        _set("exit", 2, "within", value="-P1D"),
        "exit[2].within",
    ),
    "bad message in then": (
        _set(*CART, "then", 0, "messages", value=[]),
        "steps[1].then[0].messages",
    ),
    "bad step in on_timeout": (
        _set(*CART, "on_timeout", 0, value={"id": "w", "type": "wait", "duration": "P0D"}),
        "steps[1].on_timeout[0].duration",
    ),
    # split
    "split with one arm": (_set(*AB, "arms", value=[{"label": "A", "weight": 1}]), "steps[2].arms"),
    "split without arms": (_set(*AB, "arms", value=[]), "steps[2].arms"),
    "split with duplicate labels": (_set(*AB, "arms", 1, "label", value="A"), "steps[2]"),
    "split with all weights 0": (
        _set(
            *AB,
            "arms",
            value=[{"label": "A", "weight": 0}, {"label": "B", "weight": 0, "steps": []}],
        ),
        "steps[2]",
    ),
    "split with a negative weight": (
        _set(*AB, "arms", 1, "weight", value=-1),
        "steps[2].arms[1].weight",
    ),
    "split with a weight over 10000": (
        _set(*AB, "arms", 2, "weight", value=10_001),
        "steps[2].arms[2].weight",
    ),
    "split with a fractional weight": (
        _set(*AB, "arms", 0, "weight", value=2.5),
        "steps[2].arms[0].weight",
    ),
    "split arm without a weight": (_delete(*AB, "arms", 0, "weight"), "steps[2].arms[0].weight"),
    "split arm with an empty label": (
        _set(*AB, "arms", 0, "label", value=""),
        "steps[2].arms[0].label",
    ),
    "split arm with an unknown field": (
        _set(*AB, "arms", 0, "when", value={"tag": "vip"}),
        "steps[2].arms[0].when",
    ),
    "bad step inside an arm": (
        _set(*AB, "arms", 1, "steps", 0, "type", value="teleport"),
        "steps[2].arms[1].steps[0].type",
    ),
    # tag
    "tag step with neither add nor remove": (
        _set("steps", 3, value={"id": "t", "type": "tag"}),
        "steps[3]",
    ),
    "tag step with empty add and remove": (
        _set("steps", 3, value={"id": "t", "type": "tag", "add": [], "remove": []}),
        "steps[3]",
    ),
    "tag both added and removed": (_set("steps", 3, "remove", value=["trial", "vip"]), "steps[3]"),
    "empty tag name": (_set("steps", 3, "add", value=[""]), "steps[3].add[0]"),
    "tag name over 100 characters": (
        _set("steps", 3, "remove", value=["x" * 101]),
        "steps[3].remove[0]",
    ),
    # attribute
    "attribute step with empty set": (_set("steps", 4, "set", value={}), "steps[4].set"),
    "attribute step without set": (_delete("steps", 4, "set"), "steps[4].set"),
    "attribute step with a list value": (
        _set("steps", 4, "set", "arm", value=["A"]),
        "steps[4].set.arm",
    ),
    # switch
    "switch not last": (_append("steps", value=message("after")), "steps[7].type"),
    "switch first of many": (_insert("steps", 0, value=SWITCH), "steps[0].type"),
    "switch inside a branch not last": (
        _set("steps", 5, "otherwise", value=[SWITCH, message("late")]),
        "steps[5].otherwise[0].type",
    ),
    "switch inside a branch's steps not last": (
        _insert("steps", 5, "branches", 0, "steps", 0, value=SWITCH),
        "steps[5].branches[0].steps[0].type",
    ),
    "switch inside then not last": (
        _insert(*CART, "then", 0, value=SWITCH),
        "steps[1].then[0].type",
    ),
    "switch inside an arm not last": (
        _insert(*AB, "arms", 0, "steps", 0, value=SWITCH),
        "steps[2].arms[0].steps[0].type",
    ),
    "switch without a scenario": (_delete("steps", 7, "scenario"), "steps[7].scenario"),
    "switch with an empty scenario": (_set("steps", 7, "scenario", value=""), "steps[7].scenario"),
    # clicked
    "clicked naming an unknown step": (
        _set("steps", 5, "branches", 1, "when", value={"clicked": "nowhere"}),
        "steps[5].branches[1].when.clicked",
    ),
    "clicked naming a wait_for step": (
        _set("steps", 5, "branches", 1, "when", value={"clicked": "cart"}),
        "steps[5].branches[1].when.clicked",
    ),
    "clicked naming a split step inside any/not": (
        _set("steps", 5, "branches", 0, "when", "any", 1, "not", "clicked", value="ab"),
        "steps[5].branches[0].when.any[1].not.clicked",
    ),
    "clicked in exit naming an unknown step": (
        _set("exit", 0, value={"clicked": "nowhere"}),
        "exit[0].clicked",
    ),
    "clicked in exit naming a tag step": (_set("exit", 1, "clicked", value="t"), "exit[1].clicked"),
    "clicked in until naming a switch step": (
        _set("steps", 6, "until", "all", 0, "clicked", value="bye"),
        "steps[6].until.all[0].clicked",
    ),
    "clicked naming nothing": (_set("exit", 1, "clicked", value=""), "exit[1].clicked"),
    # exit, triggers
    "exit empty": (_set("exit", value=[]), "exit"),
    "exit with an unknown condition": (_set("exit", 0, value={"moon": "full"}), "exit[0]"),
    "exit not a list": (_set("exit", value={"event": "purchase"}), "exit"),
    "event trigger without event": (_delete("trigger", "event"), "trigger.event"),
    "event trigger with an empty event": (_set("trigger", "event", value=""), "trigger.event"),
    "event trigger with a non-scalar property": (
        _set("trigger", "properties", value={"category": ["shoes"]}),
        "trigger.properties.category",
    ),
    "event trigger with follow's routes": (
        _set("trigger", "routes", value=["qr"]),
        "trigger.routes",
    ),
    "audience trigger without audience": (
        _set("trigger", value={"type": "audience"}),
        "trigger.audience",
    ),
    "audience trigger with an empty audience": (
        _set("trigger", value={"type": "audience", "audience": ""}),
        "trigger.audience",
    ),
    "unknown trigger type": (_set("trigger", value={"type": "birthday"}), "trigger.type"),
    "trigger without a type": (_set("trigger", value={"event": "cart_add"}), "trigger.type"),
    "reentry not a boolean": (_set("reentry", value="sometimes"), "reentry"),
    # duplicate ids, found by walk_steps in every nested list
    "duplicate id in then": (_set(*CART, "then", 1, "id", value="welcome"), "steps[1].then[1].id"),
    "duplicate id in on_timeout": (
        _set(*CART, "on_timeout", 0, "id", value="thanks"),
        "steps[1].on_timeout[0].id",
    ),
    "duplicate id in then of its wait_for": (
        _set(*CART, "then", 0, "id", value="cart"),
        "steps[1].then[0].id",
    ),
    "duplicate id in an arm": (
        _set(*AB, "arms", 1, "steps", 0, "id", value="offer-a"),
        "steps[2].arms[1].steps[0].id",
    ),
    "duplicate id after an arm": (_set("steps", 3, "id", value="offer-b"), "steps[3].id"),
    "duplicate id of a switch": (_set("steps", 7, "id", value="next"), "steps[7].id"),
    # placeholders and defaults
    "misspelt displayName": (
        _set("steps", 0, "messages", 0, "text", value="Hi {displayname}"),
        "steps[0].messages[0].text",
    ),
    "attribute placeholder without a name": (
        _set("steps", 0, "messages", 0, "text", value="Your plan: {attribute:}"),
        "steps[0].messages[0].text",
    ),
    "misspelt placeholder in then": (
        _set(*CART, "then", 0, "messages", 0, "text", value="Thanks {Attribute:plan}"),
        "steps[1].then[0].messages[0].text",
    ),
    "defaults with an unknown key": (
        _set("steps", 0, "defaults", "foo", value="x"),
        "steps[0].defaults.foo",
    ),
    "defaults with an empty attribute name": (
        _set("steps", 0, "defaults", "attribute:", value="x"),
        "steps[0].defaults.attribute:",
    ),
    "defaults with a non-string value": (
        _set("steps", 0, "defaults", "displayName", value=3),
        "steps[0].defaults.displayName",
    ),
    "defaults in an arm with an unknown key": (
        _set(*AB, "arms", 0, "steps", 0, "defaults", value={"name": "you"}),
        "steps[2].arms[0].steps[0].defaults.name",
    ),
}


@pytest.mark.parametrize(("mutate", "path"), REJECTED.values(), ids=REJECTED.keys())
def test_rejected_with_the_document_path(mutate, path: str) -> None:
    document = journey()
    mutate(document)
    with pytest.raises(DefinitionError) as caught:
        validate_definition(document)
    errors = caught.value.errors
    assert {error["path"] for error in errors} == {path}, errors
    assert all(set(error) == {"path", "msg", "type"} for error in errors)
    assert path in str(caught.value)


def test_the_journey_itself_is_valid() -> None:
    # the rejection cases above differ from it by exactly one mutation
    validate_definition(journey())


def test_error_messages_say_what_is_wrong() -> None:
    def first(mutate) -> dict[str, str]:
        document = journey()
        mutate(document)
        with pytest.raises(DefinitionError) as caught:
            validate_definition(document)
        return caught.value.errors[0]

    assert "1 second" in first(_set(*CART, "timeout", value="PT0S"))["msg"]
    assert "ISO-8601" in first(_set(*CART, "timeout", value="3 days"))["msg"]
    assert "unique" in first(_set(*AB, "arms", 1, "label", value="A"))["msg"]
    zero = [{"label": "A", "weight": 0}, {"label": "B", "weight": 0}]
    assert "above 0" in first(_set(*AB, "arms", value=zero))["msg"]
    assert "vip" in first(_set("steps", 3, "remove", value=["vip"]))["msg"]
    switch = first(_append("steps", value=message("after")))
    assert (switch["type"], switch["msg"]) == (
        "unreachable_step",
        "a switch must be the last step of its list",
    )
    clicked = first(_set("exit", 0, value={"clicked": "cart"}))
    assert (clicked["type"], clicked["msg"]) == (
        "unknown_step",
        "no message step 'cart' in this scenario",
    )
    duplicate = first(_set(*CART, "on_timeout", 0, "id", value="thanks"))
    assert duplicate["type"] == "duplicate_step_id"
    assert "steps[1].then[0]" in duplicate["msg"]
    unknown = first(_set(*CART, "until", value={"moon": "full"}))
    assert unknown["type"] == "unknown_condition"


def test_every_problem_in_nested_lists_is_reported_at_once() -> None:
    document = journey()
    document["steps"][1]["timeout"] = "P400D"
    document["steps"][1]["on_timeout"][0]["id"] = "welcome"
    document["steps"][2]["arms"][1]["weight"] = -5
    document["steps"][4]["set"] = {}
    with pytest.raises(DefinitionError) as caught:
        validate_definition(document)
    # duplicates are checked once the fields are valid: only the field errors come first
    assert sorted(error["path"] for error in caught.value.errors) == [
        "steps[1].timeout",
        "steps[2].arms[1].weight",
        "steps[4].set",
    ]


def test_every_unknown_click_is_reported() -> None:
    document = journey()
    document["exit"][1] = {"clicked": "nowhere"}
    document["steps"][6]["until"]["all"][0]["clicked"] = "ab"
    with pytest.raises(DefinitionError) as caught:
        validate_definition(document)
    assert [error["path"] for error in caught.value.errors] == [
        "exit[1].clicked",
        "steps[6].until.all[0].clicked",
    ]


# A dict of user data (attribute `set`, event `properties`) may have a key that is also the
# name of a condition kind; the error must still name that key.
KEYS_LIKE_CONDITION_KINDS = {
    "attribute set key 'tag'": (
        _set("steps", 4, "set", value={"tag": ["x"]}),
        "steps[4].set.tag",
    ),
    "attribute set key 'audience'": (
        _set("steps", 4, "set", value={"audience": {"a": 1}}),
        "steps[4].set.audience",
    ),
    "until property 'event'": (
        _set(*CART, "until", "properties", value={"event": [1]}),
        "steps[1].until.properties.event",
    ),
    "trigger property 'tag'": (
        _set("trigger", "properties", value={"tag": [1]}),
        "trigger.properties.tag",
    ),
}
# A value that is itself an object: pydantic's union member tags (`str`, `int` …) follow the
# key in the error location and must not be read as keys of that object.
OBJECT_VALUES = {
    "attribute set value an object": (
        _set("steps", 4, "set", "arm", value={"name": "A"}),
        "steps[4].set.arm",
    ),
    "until property value an object": (
        _set(*CART, "until", "properties", value={"sku": {"id": 1}}),
        "steps[1].until.properties.sku",
    ),
    "trigger property value an object": (
        _set("trigger", "properties", value={"category": {"name": "shoes"}}),
        "trigger.properties.category",
    ),
}


@pytest.mark.parametrize(
    ("mutate", "path"),
    [*KEYS_LIKE_CONDITION_KINDS.values(), *OBJECT_VALUES.values()],
    ids=[*KEYS_LIKE_CONDITION_KINDS, *OBJECT_VALUES],
)
def test_user_data_keys_keep_their_path(mutate, path: str) -> None:
    document = journey()
    mutate(document)
    with pytest.raises(DefinitionError) as caught:
        validate_definition(document)
    assert {error["path"] for error in caught.value.errors} == {path}, caught.value.errors


def test_after_gives_what_follows_a_step_even_inside_branches() -> None:
    definition = validate_definition(
        {
            "name": "x",
            "trigger": {"type": "follow"},
            "steps": [
                {"id": "a", "type": "message", "messages": [{"type": "text", "text": "A"}]},
                {
                    "id": "b",
                    "type": "branch",
                    "branches": [
                        {
                            "label": "vip",
                            "when": {"tag": "vip"},
                            "steps": [
                                {"id": "w", "type": "wait", "duration": "P1D"},
                                {
                                    "id": "v",
                                    "type": "message",
                                    "messages": [{"type": "text", "text": "V"}],
                                },
                            ],
                        }
                    ],
                },
                {"id": "z", "type": "message", "messages": [{"type": "text", "text": "Z"}]},
            ],
        }
    )
    assert [[s.id for s in part] for part in definition.after("w")] == [["v"], ["z"]]
    assert [[s.id for s in part] for part in definition.after("z")] == [[]]
    assert definition.after("nope") is None
