"""The studio's edits on a draft's document: fields read by their kind, steps added, moved,
duplicated and deleted anywhere in the tree, structural choices, and the YAML round trip."""

import copy

import pytest

from app.studio import blanks, check, edits, fields, paths, service

WELCOME = {
    "name": "Welcome series",
    "timezone": "Asia/Tokyo",
    "trigger": {"type": "follow"},
    "steps": [
        {"id": "welcome", "type": "message", "messages": [{"type": "text", "text": "Hi"}]},
        {
            "id": "gender",
            "type": "branch",
            "branches": [{"label": "women", "when": {"tag": "f"}, "steps": []}],
            "otherwise": [],
        },
    ],
}


def doc() -> dict:
    return copy.deepcopy(WELCOME)


def test_paths_read_and_write_as_the_error_paths_are_written() -> None:
    document = doc()
    assert paths.parse("steps[1].branches[0].when.tag") == [
        "steps",
        1,
        "branches",
        0,
        "when",
        "tag",
    ]
    assert paths.get(document, "steps[1].branches[0].when.tag") == "f"
    paths.put(document, "steps[0].window.start", "10:00")
    assert document["steps"][0]["window"] == {"start": "10:00"}
    paths.put(document, "steps[0].messages[1]", {"type": "text", "text": "again"})
    assert len(document["steps"][0]["messages"]) == 2
    paths.remove(document, "steps[0].messages[0]")
    assert document["steps"][0]["messages"] == [{"type": "text", "text": "again"}]
    for bad in ("", "steps[", "steps..x", "a" * 600, "steps[1]]"):
        with pytest.raises(paths.BadPath):
            paths.parse(bad)
    with pytest.raises(paths.BadPath):
        paths.put(document, "steps[9].id", "x")  # a list grows by one at most


def test_fields_are_read_by_their_kind_and_kept_as_typed_when_they_do_not_read() -> None:
    document = doc()
    fields.fill(
        document,
        [
            ("f.text.steps[0].messages[0].text", "Hello {displayName}"),
            ("f.optint.delivery_cap", "many"),  # kept: the checks will name it
            ("f.bool.reentry", ""),
            ("f.bool.reentry", "on"),
            ("f.list.trigger.routes", "flyer, qr_code\nshop"),
            ("f.opt.steps[0].window.start", ""),
            ("f.json.exit", '[{"tag": "stop"}]'),
            ("f.map.steps[0].defaults", "displayName=お客\nbad line"),
            ("f.scalars.steps[1].branches[0].when.between", "20, 29"),
        ],
    )
    assert document["steps"][0]["messages"][0]["text"] == "Hello {displayName}"
    assert document["delivery_cap"] == "many"
    assert document["reentry"] is True
    assert document["trigger"]["routes"] == ["flyer", "qr_code", "shop"]
    assert "window" not in document["steps"][0] or "start" not in document["steps"][0]["window"]
    assert document["exit"] == [{"tag": "stop"}]
    assert document["steps"][0]["defaults"] == {"displayName": "お客"}
    assert document["steps"][1]["branches"][0]["when"]["between"] == [20, 29]
    fields.fill(document, [("f.json.exit", "[{oops")])
    assert document["exit"] == "[{oops"


def test_steps_are_added_moved_duplicated_and_deleted_anywhere() -> None:
    document = doc()
    place = service.apply(document, "add:steps[1].branches[0].steps:0:wait")
    assert place == "steps[1].branches[0].steps[0]"
    assert paths.get(document, place) == {"id": "wait-1", "type": "wait", "duration": "P1D"}
    copy_at = service.apply(document, "duplicate:steps[1]")
    assert copy_at == "steps[2]"
    ids = edits.step_ids(document)
    assert {"gender-1", "wait-2"} <= ids and len(ids) == 5  # every id still unique
    assert service.apply(document, "up:steps[2]") == "steps[1]"
    assert document["steps"][1]["id"] == "gender-1"
    assert service.apply(document, "up:steps[0]") == "steps[0]"  # at the top: stays
    service.apply(document, "delete:steps[1]")
    assert [step["id"] for step in document["steps"]] == ["welcome", "gender"]
    service.apply(document, "item:steps[1].branches")
    assert len(document["steps"][1]["branches"]) == 2
    service.apply(document, "message:steps[0].messages:sticker")
    assert document["steps"][0]["messages"][1]["type"] == "sticker"
    with pytest.raises(edits.BadEdit):
        service.apply(document, "add:trigger:0:wait")  # not a step list
    with pytest.raises(edits.BadEdit):
        service.apply(document, "explode:steps[0]")


@pytest.mark.parametrize("kind", sorted(blanks.STEPS))
def test_every_step_kind_can_be_added(kind: str) -> None:
    document = doc()
    place = service.apply(document, f"add:steps:2:{kind}")
    assert paths.get(document, f"{place}.type") == kind


def test_structural_choices_replace_only_what_changes() -> None:
    document = doc()
    when = "steps[1].branches[0].when"
    fields.fill(document, [(f"kind.condition.{when}", "tag")])
    assert paths.get(document, when) == {"tag": "f"}  # the same kind: kept
    fields.fill(document, [(f"kind.condition.{when}", "attribute")])
    assert paths.get(document, when) == {"attribute": "gender", "equals": "female"}
    fields.fill(document, [(f"kind.operator.{when}", "in")])
    assert paths.get(document, when) == {"attribute": "gender", "in": ["female"]}
    fields.fill(document, [("kind.trigger.trigger", "keyword")])
    assert document["trigger"] == {"type": "keyword", "keywords": ["coupon"]}
    service.apply(document, "add:steps:1:wait")
    fields.fill(document, [("kind.wait.steps[1]", "date")])
    assert document["steps"][1]["until"] == {
        "attribute": "birthday",
        "offset": "P0D",
        "at": "10:00",
    }
    assert "duration" not in document["steps"][1]
    fields.fill(document, [("kind.message.steps[0].messages[0]", "buttons")])
    assert document["steps"][0]["messages"][0]["template"]["type"] == "buttons"


def test_the_yaml_tab_gives_back_the_same_document() -> None:
    document = doc()
    document["steps"][0]["messages"][0]["text"] = "こんにちは {displayName}\n二行目"
    assert check.from_yaml(check.as_yaml(document)) == document
    with pytest.raises(check.NotYaml):
        check.from_yaml("- just\n- a list")
    with pytest.raises(check.NotYaml):
        check.from_yaml("name: [unclosed")
    assert check.from_yaml("when: 2026-12-24T10:00:00+09:00")["when"] == "2026-12-24T10:00:00+09:00"


def test_a_list_left_out_rather_than_empty_goes_with_its_last_item() -> None:
    """A survey's options and the exit conditions are refused empty: removing the last one
    leaves a free-text survey and a scenario without exit conditions."""
    document = doc() | {"exit": [{"event": "unsubscribe"}]}
    document["steps"].append({"id": "q", "type": "survey", "options": [{"label": "Yes"}]})
    service.apply(document, "delete:steps[2].options[0]")
    service.apply(document, "delete:exit[0]")
    assert "options" not in document["steps"][2] and "exit" not in document
    service.apply(document, "item:steps[1].branches")
    service.apply(document, "delete:steps[1].branches[1]")
    service.apply(document, "delete:steps[1].branches[0]")
    assert document["steps"][1]["branches"] == []  # others stay, for the checks to name
