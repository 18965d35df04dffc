"""Personalisation placeholders: {displayName} and {attribute:NAME} (core/personalize.py)."""

import copy
import subprocess
import sys
from pathlib import Path

import pytest

from core import linemsg
from core.linemsg import Problem, check_messages, utf16_len
from core.personalize import (
    MAX_ALT_TEXT,
    MAX_TEXT,
    clip_utf16,
    fill,
    placeholder_problems,
    placeholders,
)

ROOT = Path(__file__).resolve().parents[2]


def text(body: str) -> dict:
    return {"type": "text", "text": body}


def flex(alt: str) -> dict:
    return {
        "type": "flex",
        "altText": alt,
        "contents": {
            "type": "bubble",
            "body": {
                "type": "box",
                "layout": "vertical",
                "contents": [{"type": "text", "text": "{displayName} in a component"}],
            },
        },
    }


def template(alt: str) -> dict:
    return {
        "type": "template",
        "altText": alt,
        "template": {
            "type": "buttons",
            "text": "{displayName} in the template text",
            "actions": [{"type": "message", "label": "{displayName}", "text": "{displayName}"}],
        },
    }


def imagemap(alt: str) -> dict:
    return {
        "type": "imagemap",
        "baseUrl": "https://img.jp/map",
        "altText": alt,
        "baseSize": {"width": 1040, "height": 1040},
        "actions": [
            {
                "type": "message",
                "text": "{displayName}",
                "area": {"x": 0, "y": 0, "width": 1, "height": 1},
            }
        ],
    }


def test_limits_match_linemsg() -> None:
    assert (MAX_TEXT, MAX_ALT_TEXT) == (linemsg.MAX_TEXT, linemsg.MAX_ALT_TEXT)


# --- finding placeholders ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "keys"),
    [
        ("{displayName}さん、こんにちは！", ["displayName"]),
        ("{attribute:plan}プランの{displayName}様", ["attribute:plan", "displayName"]),
        ("{attribute: plan }", ["attribute:plan"]),
        ("{attribute:\u3000会員ランク\u3000}", ["attribute:会員ランク"]),
        ("{attribute:plan}{attribute:plan}{attribute: plan}", ["attribute:plan"]),
        ("{attribute:a:b c}", ["attribute:a:b c"]),
        ("{attribute:" + "x" * 100 + "}", ["attribute:" + "x" * 100]),
        ("{{displayName}}", ["displayName"]),
        # not ours
        ("{attribute:" + "x" * 101 + "}", []),
        ("{attribute:}", []),
        ("{attribute:   }", []),
        ("{displayname} {DisplayName} { displayName }", []),
        ("{Attribute:plan} {attr:plan}", []),
        ('{foo} { } {} {"plan": "gold"}', []),
        ("{attribute:plan", []),
        ("", []),
    ],
)
def test_placeholders(body: str, keys: list[str]) -> None:
    assert placeholders([text(body)]) == keys


def test_placeholders_in_alt_text_and_order_across_messages() -> None:
    messages = [
        text("{attribute:plan}"),
        flex("{displayName}へのお知らせ"),
        template("{attribute:rank}"),
        imagemap("{attribute:city} {attribute:plan}"),
        {"type": "sticker", "packageId": "1", "stickerId": "1", "altText": "{attribute:no}"},
        {"type": "image", "originalContentUrl": "https://a.jp/{attribute:no}.png"},
    ]
    assert placeholders(messages) == [
        "attribute:plan",
        "displayName",
        "attribute:rank",
        "attribute:city",
    ]


def test_text_v2_substitution_keys_belong_to_line() -> None:
    message = {
        "type": "textV2",
        "text": "{displayName} {you} {attribute:plan}",
        "substitution": {"displayName": {"type": "mention", "mentionee": {"type": "all"}}},
    }
    assert placeholders([message]) == ["attribute:plan"]
    [filled] = fill([message], {"displayName": "太郎", "attribute:plan": "gold"}, {})
    assert filled["text"] == "{displayName} {you} gold"
    assert filled["substitution"] == message["substitution"]
    assert placeholders([{"type": "textV2", "text": "{displayName}"}]) == ["displayName"]


# --- filling -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "values", "defaults", "expected"),
    [
        ("{displayName}さん", {"displayName": "山田太郎"}, {}, "山田太郎さん"),
        # value missing, None or "" → default → ""
        ("{displayName}さん", {}, {"displayName": "お客"}, "お客さん"),
        ("{displayName}さん", {"displayName": None}, {"displayName": "お客"}, "お客さん"),
        ("{displayName}さん", {"displayName": ""}, {"displayName": "お客"}, "お客さん"),
        ("{displayName}さん", {}, {}, "さん"),
        ("{attribute:plan}", {"attribute:plan": None}, {}, "…"),
        # numbers and other types through str()
        ("{attribute:age}歳", {"attribute:age": 27}, {}, "27歳"),
        ("{attribute:rate}%", {"attribute:rate": 1.5}, {}, "1.5%"),
        ("{attribute:n}", {"attribute:n": 0}, {"attribute:n": "x"}, "0"),
        ("{attribute:vip}", {"attribute:vip": True}, {}, "True"),
        ("{attribute:age}", {}, {"attribute:age": 20}, "20"),
        # names are trimmed; the same key everywhere
        ("{attribute: plan }/{attribute:plan}", {"attribute:plan": "gold"}, {}, "gold/gold"),
        # values are literal: no second expansion, backslashes and $ kept
        ("{displayName}", {"displayName": "{attribute:plan}"}, {}, "{attribute:plan}"),
        ("{displayName}", {"displayName": r"\1 $0 \g<0>"}, {}, r"\1 $0 \g<0>"),
        ("{attribute:plan}", {"attribute:plan": "{displayName}"}, {}, "{displayName}"),
        # foreign braces are untouched
        (
            '{"plan": "gold"} {foo} { } {displayName}',
            {"displayName": "A"},
            {},
            '{"plan": "gold"} {foo} { } A',
        ),
        ("{{displayName}}", {"displayName": "A"}, {}, "{A}"),
        ("{displayname}", {"displayname": "A", "displayName": "B"}, {}, "{displayname}"),
        ("{attribute:}", {"attribute:": "A"}, {}, "{attribute:}"),
        ("no placeholders", {"displayName": "A"}, {}, "no placeholders"),
        # emoji values
        ("{displayName}😀", {"displayName": "👨‍👩‍👧"}, {}, "👨‍👩‍👧😀"),
    ],
)
def test_fill_text(body: str, values: dict, defaults: dict, expected: str) -> None:
    assert fill([text(body)], values, defaults) == [text(expected)]


@pytest.mark.parametrize("make", [flex, template, imagemap])
def test_fill_alt_text_only(make) -> None:
    message = make("{displayName}様へ {attribute:plan}")
    [filled] = fill([message], {"displayName": "花子"}, {"attribute:plan": "無料"})
    assert filled["altText"] == "花子様へ 無料"
    filled["altText"] = message["altText"]
    assert filled == message  # the body (components, template text, actions) is not filled


def test_fill_never_leaves_a_placeholder() -> None:
    messages = [
        text("{displayName} {attribute:a} {attribute:b}"),
        flex("{attribute:c}"),
    ]
    filled = fill(messages, {"attribute:a": None}, {"attribute:b": ""})
    assert placeholders(filled) == []
    assert filled[0]["text"] == "…"  # only the spaces between the placeholders were left
    assert filled[1]["altText"] == "…"


@pytest.mark.parametrize(
    ("body", "value", "expected"),
    [
        ("{displayName}", "", "…"),
        ("{displayName}", " \u3000", "…"),  # blank because of the fill
        ("  {displayName}  ", "", "…"),
        ("", "x", "…"),
        (" ", "x", " "),  # blank as written and not filled: left alone
    ],
)
def test_empty_results(body: str, value: str, expected: str) -> None:
    assert fill([text(body)], {"displayName": value}, {}) == [text(expected)]


def test_values_and_defaults_may_be_missing() -> None:
    assert fill([text("a{displayName}b")], {}, {}) == [text("ab")]
    assert fill([text("a{displayName}b")], None, None) == [text("ab")]  # type: ignore[arg-type]


# --- clipping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "value", "length"),
    [
        ("", "あ" * 6000, 5000),
        ("x" * 4999, "😀", 4999),  # the pair would straddle the limit: dropped whole
        ("x" * 4998, "😀😀", 5000),
        ("x" * 4998, "😀", 5000),
        ("x" * 4997, "😀😀", 4999),
        ("", "😀" * 3000, 5000),
        ("x" * 5001, "", 5000),
    ],
)
def test_text_is_clipped_without_splitting_surrogate_pairs(
    prefix: str, value: str, length: int
) -> None:
    [filled] = fill([text(prefix + "{displayName}")], {"displayName": value}, {})
    assert utf16_len(filled["text"]) == length
    assert (prefix + value).startswith(filled["text"])
    filled["text"].encode("utf-8")  # no lone surrogate
    assert check_messages([filled]) == []


def test_alt_text_is_clipped_to_1500() -> None:
    [filled] = fill([flex("{displayName}")], {"displayName": "x" * 1499 + "😀"}, {})
    assert filled["altText"] == "x" * 1499
    [filled] = fill([flex("{attribute:memo}")], {"attribute:memo": "😀" * 1000}, {})
    assert filled["altText"] == "😀" * 750
    assert check_messages([filled]) == []


@pytest.mark.parametrize(
    ("value", "limit", "expected"),
    [
        ("abc", 3, "abc"),
        ("abc", 2, "ab"),
        ("a😀", 2, "a"),
        ("a😀", 3, "a😀"),
        ("😀", 1, ""),
        ("", 0, ""),
    ],
)
def test_clip_utf16(value: str, limit: int, expected: str) -> None:
    assert clip_utf16(value, limit) == expected


# --- copies --------------------------------------------------------------------------------


def test_input_is_not_mutated() -> None:
    messages = [
        {**text("{displayName}"), "quickReply": {"items": []}},
        flex("{attribute:plan}"),
    ]
    before = copy.deepcopy(messages)
    filled = fill(messages, {"displayName": "A", "attribute:plan": "B"}, {})
    assert messages == before
    filled[0]["quickReply"]["items"].append("x")
    filled[1]["contents"]["body"]["contents"].clear()
    assert messages == before


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        ('{displayName}さん {attribute:plan} {foo} { } {"a": 1}', []),
        ("{attribute: plan }", []),
        ("{displayname}さん", ["{displayname}", "{displayName}"]),
        ("{DisplayName}", ["{DisplayName}", "{displayName}"]),
        ("{ displayName }", ["{displayName}"]),
        ("{display_name}", ["{displayName}"]),
        ("{attribute:}", ["{attribute:}", "no attribute name"]),
        ("{attribute: \u3000}", ["no attribute name"]),
        ("{attribute:" + "x" * 101 + "}", ["longer than 100", "got 101"]),
        ("{Attribute:plan}", ["{Attribute:plan}", "{attribute:plan}"]),
        ("{ attribute : plan }", ["{attribute:plan}"]),
        ("{ATTRIBUTE:}", ["{attribute:NAME}"]),
        ("{attribute:plan さん", ["{attribute:plan さん", "no closing }"]),
        ("{attribute:{displayName}}", ["{attribute:", "no closing }"]),
        ("{displayName", ["{displayName", "no closing }"]),
    ],
)
def test_text_problems(body: str, fragments: list[str]) -> None:
    problems = placeholder_problems([text("ok"), text(body)], {}, "steps[2]")
    if not fragments:
        assert problems == []
        return
    assert len(problems) == 1
    assert problems[0].path == "steps[2].messages[1].text"
    for fragment in fragments:
        assert fragment in problems[0].message


def test_alt_text_problems_and_several_per_field() -> None:
    messages = [flex("{displayname} {attribute:}"), template("fine"), imagemap("{Attribute:x}")]
    problems = placeholder_problems(messages, {}, "steps[0]")
    assert [p.path for p in problems] == [
        "steps[0].messages[0].altText",
        "steps[0].messages[0].altText",
        "steps[0].messages[2].altText",
    ]


def test_fields_that_are_not_filled_are_not_checked() -> None:
    messages = [template("ok"), {"type": "sticker", "packageId": "1", "stickerId": "1"}]
    messages[0]["template"]["text"] = "{displayname}"
    assert placeholder_problems(messages, {}, "steps[0]") == []


def test_text_v2_substitution_keys_are_not_problems() -> None:
    message = {
        "type": "textV2",
        "text": "{displayname} {Attribute:x}",
        "substitution": {"displayname": {"type": "mention", "mentionee": {"type": "all"}}},
    }
    problems = placeholder_problems([message], {}, "steps[0]")
    assert [p.message for p in problems] == [
        "{Attribute:x} is not a placeholder: write {attribute:x}"
    ]


@pytest.mark.parametrize(
    ("defaults", "expected"),
    [
        ({"displayName": "お客様", "attribute:plan": "free", "attribute:会員 ランク": ""}, []),
        ({"attribute:" + "x" * 100: "x"}, []),
        (None, []),
        ({"displayname": "x"}, ["steps[1].defaults.displayname"]),
        ({"plan": "x"}, ["steps[1].defaults.plan"]),
        ({"attribute:": "x"}, ["steps[1].defaults.attribute:"]),
        ({"attribute: plan": "x"}, ["steps[1].defaults.attribute: plan"]),
        ({"attribute:{x}": "x"}, ["steps[1].defaults.attribute:{x}"]),
        ({"attribute:" + "x" * 101: "x"}, ["steps[1].defaults.attribute:" + "x" * 101]),
        ({"{displayName}": "x"}, ["steps[1].defaults.{displayName}"]),
        ({"attribute:age": 20}, ["steps[1].defaults.attribute:age"]),
        ({"displayName": None}, ["steps[1].defaults.displayName"]),
        (["displayName"], ["steps[1].defaults"]),
    ],
)
def test_default_problems(defaults: object, expected: list[str]) -> None:
    problems = placeholder_problems([text("{displayName}")], defaults, "steps[1]")
    assert [p.path for p in problems] == expected
    assert all(isinstance(p, Problem) and p.message for p in problems)


@pytest.mark.parametrize(
    "messages", [None, "x", [None, 3, {"type": "text"}, {"type": "text", "text": 5}]]
)
def test_problems_never_raise(messages: object) -> None:
    assert placeholder_problems(messages, {}, "steps[0]") == []


def test_import_is_pure() -> None:
    """core.personalize is imported inside workflow sandboxes: standard library only."""
    code = (
        "import sys, core.personalize as p;"
        "p.fill([{'type': 'text', 'text': '{displayName}'}], {}, {});"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'linebot', 'pydantic', 'temporalio'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
