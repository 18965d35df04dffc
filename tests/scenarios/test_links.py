"""Tracked links: finding and rewriting the https URLs of LINE messages (core/links.py)."""

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.linemsg import check_messages
from core.links import rewrite_links, tracked_urls, urls_in_text

ROOT = Path(__file__).resolve().parents[2]


def text(body: str) -> dict:
    return {"type": "text", "text": body}


def uri(link: str, label: str = "Open") -> dict:
    return {"type": "uri", "label": label, "uri": link}


# --- URLs in text --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "urls"),
    [
        ("https://a.jp", ["https://a.jp"]),
        ("see https://a.jp/x now", ["https://a.jp/x"]),
        # Japanese copy: the URL ends at kana, kanji and full-width punctuation
        ("詳しくはhttps://shop.example/sale。", ["https://shop.example/sale"]),
        ("「https://shop.example/」をタップ", ["https://shop.example/"]),
        ("（https://a.jp/x）", ["https://a.jp/x"]),
        ("https://a.jp/x、https://b.jp/y！", ["https://a.jp/x", "https://b.jp/y"]),
        ("https://a.jp/xはこちら", ["https://a.jp/x"]),
        ("https://a.jp/x\u3000全角スペース", ["https://a.jp/x"]),
        # query strings and fragments are part of the URL
        ("https://a.jp/p?utm=line&x=1#top です", ["https://a.jp/p?utm=line&x=1#top"]),
        ("https://a.jp/?q=a,b;c", ["https://a.jp/?q=a,b;c"]),
        # trailing sentence punctuation is not
        ("Go to https://a.jp/x.", ["https://a.jp/x"]),
        ("https://a.jp/x, then", ["https://a.jp/x"]),
        ("Really https://a.jp/x?!", ["https://a.jp/x"]),
        ("https://a.jp/x...", ["https://a.jp/x"]),
        ("https://a.jp/x:", ["https://a.jp/x"]),
        ("https://a.jp/x;", ["https://a.jp/x"]),
        # parentheses and brackets: trailing ones only when unbalanced
        ("(see https://a.jp/x)", ["https://a.jp/x"]),
        ("(https://a.jp/x).", ["https://a.jp/x"]),
        ("https://ja.wikipedia.org/wiki/Foo_(bar)", ["https://ja.wikipedia.org/wiki/Foo_(bar)"]),
        ("(https://en.wikipedia.org/wiki/A_(b))", ["https://en.wikipedia.org/wiki/A_(b)"]),
        ("[https://a.jp/x]", ["https://a.jp/x"]),
        ("https://a.jp/x?a[0]=1", ["https://a.jp/x?a[0]=1"]),
        # ASCII delimiters
        ('<https://a.jp/x>"', ["https://a.jp/x"]),
        ("'https://a.jp/x'", ["https://a.jp/x"]),
        ("`https://a.jp/x`", ["https://a.jp/x"]),
        ('href="https://a.jp/x"', ["https://a.jp/x"]),
        (
            "https://a.jp/x\nhttps://b.jp/y\thttps://c.jp/z",
            ["https://a.jp/x", "https://b.jp/y", "https://c.jp/z"],
        ),
        # percent-encoding stays as written
        ("https://a.jp/%E3%81%82?q=%20", ["https://a.jp/%E3%81%82?q=%20"]),
        # a URL inside a query string is part of the outer URL
        ("https://a.jp/r?next=https://b.jp/y", ["https://a.jp/r?next=https://b.jp/y"]),
        # not tracked
        ("http://a.jp/x", []),
        ("line://ti/p/@abc", []),
        ("tel:0312345678", []),
        ("HTTPS://A.JP/X", []),
        ("www.a.jp", []),
        ("https://", []),
        ("https://.", []),
        ("https://」", []),
        ("", []),
    ],
)
def test_urls_in_text(body: str, urls: list[str]) -> None:
    assert urls_in_text(body) == urls
    assert tracked_urls([text(body)]) == list(dict.fromkeys(urls))


def test_repeated_urls_are_listed_once_in_order_of_first_appearance() -> None:
    messages = [
        text("https://b.jp/ then https://a.jp/ then https://b.jp/ again"),
        {"type": "textV2", "text": "{you} https://c.jp/ https://a.jp/", "substitution": {}},
        text("https://a.jp/x https://a.jp/"),
    ]
    assert tracked_urls(messages) == [
        "https://b.jp/",
        "https://a.jp/",
        "https://c.jp/",
        "https://a.jp/x",
    ]


def test_text_outside_text_messages_is_not_scanned() -> None:
    messages = [
        {
            "type": "template",
            "altText": "https://alt.jp/",
            "template": {"type": "buttons", "text": "https://body.jp/", "actions": []},
        },
        {
            "type": "flex",
            "altText": "x",
            "contents": {
                "type": "bubble",
                "body": {
                    "type": "box",
                    "layout": "vertical",
                    "contents": [{"type": "text", "text": "https://flex-text.jp/"}],
                },
            },
        },
    ]
    assert tracked_urls(messages) == []


# --- URLs in actions -----------------------------------------------------------------------

BUTTONS = {
    "type": "template",
    "altText": "Sale",
    "template": {
        "type": "buttons",
        "text": "Choose",
        "defaultAction": uri("https://t.jp/default"),
        "actions": [
            uri("https://t.jp/1"),
            {"type": "postback", "label": "Later", "data": "later=1"},
            uri("http://t.jp/plain"),
            uri("tel:0312345678", "Call"),
            {**uri("https://t.jp/2"), "altUri": {"desktop": "https://t.jp/desktop"}},
        ],
    },
}
CONFIRM = {
    "type": "template",
    "altText": "Confirm",
    "template": {
        "type": "confirm",
        "text": "OK?",
        "actions": [
            uri("https://t.jp/yes", "Yes"),
            {"type": "message", "label": "No", "text": "no"},
        ],
    },
}
CAROUSEL = {
    "type": "template",
    "altText": "Carousel",
    "template": {
        "type": "carousel",
        "columns": [
            {
                "text": "A",
                "defaultAction": uri("https://c.jp/a0"),
                "actions": [uri("https://c.jp/a1")],
            },
            {"text": "B", "actions": [uri("https://c.jp/b1"), uri("line://ti/p/@x")]},
        ],
    },
}
IMAGE_CAROUSEL = {
    "type": "template",
    "altText": "Images",
    "template": {
        "type": "image_carousel",
        "columns": [
            {"imageUrl": "https://img.jp/1.png", "action": uri("https://ic.jp/1")},
            {"imageUrl": "https://img.jp/2.png", "action": {"type": "postback", "data": "x"}},
        ],
    },
}
IMAGEMAP = {
    "type": "imagemap",
    "baseUrl": "https://img.jp/map",
    "altText": "Map",
    "baseSize": {"width": 1040, "height": 1040},
    "actions": [
        {
            "type": "uri",
            "linkUri": "https://map.jp/left",
            "area": {"x": 0, "y": 0, "width": 520, "height": 1040},
        },
        {
            "type": "message",
            "text": "right",
            "area": {"x": 520, "y": 0, "width": 520, "height": 1040},
        },
        {
            "type": "uri",
            "linkUri": "http://map.jp/plain",
            "area": {"x": 0, "y": 0, "width": 1, "height": 1},
        },
    ],
}
FLEX = {
    "type": "flex",
    "altText": "Flex",
    "contents": {
        "type": "carousel",
        "contents": [
            {
                "type": "bubble",
                "hero": {
                    "type": "image",
                    "url": "https://img.jp/hero.png",
                    "action": uri("https://f.jp/hero"),
                },
                "body": {
                    "type": "box",
                    "layout": "vertical",
                    "action": uri("https://f.jp/body"),
                    "contents": [
                        {
                            "type": "box",
                            "layout": "horizontal",
                            "contents": [
                                {
                                    "type": "text",
                                    "text": "deep",
                                    "action": uri("https://f.jp/deep"),
                                },
                                {"type": "button", "action": uri("https://f.jp/button")},
                            ],
                        }
                    ],
                },
            },
            {
                "type": "bubble",
                "footer": {
                    "type": "box",
                    "layout": "vertical",
                    "contents": [{"type": "button", "action": uri("https://f.jp/hero")}],
                },
            },
        ],
    },
}
QUICK_REPLY_TEXT = {
    "type": "text",
    "text": "Pick one https://q.jp/text",
    "quickReply": {
        "items": [
            {"type": "action", "action": uri("https://q.jp/item")},
            {"type": "action", "action": {"type": "message", "label": "Hi", "text": "hi"}},
            {"type": "action", "action": {"type": "camera", "label": "Camera"}},
        ]
    },
}


@pytest.mark.parametrize(
    ("message", "urls"),
    [
        (BUTTONS, ["https://t.jp/default", "https://t.jp/1", "https://t.jp/2"]),
        (CONFIRM, ["https://t.jp/yes"]),
        (CAROUSEL, ["https://c.jp/a0", "https://c.jp/a1", "https://c.jp/b1"]),
        (IMAGE_CAROUSEL, ["https://ic.jp/1"]),
        (IMAGEMAP, ["https://map.jp/left"]),
        (
            FLEX,
            ["https://f.jp/hero", "https://f.jp/body", "https://f.jp/deep", "https://f.jp/button"],
        ),
        (QUICK_REPLY_TEXT, ["https://q.jp/text", "https://q.jp/item"]),
    ],
    ids=["buttons", "confirm", "carousel", "image_carousel", "imagemap", "flex", "quick_reply"],
)
def test_action_urls(message: dict, urls: list[str]) -> None:
    assert check_messages([message]) == []  # the fixtures are real LINE messages
    assert tracked_urls([message]) == urls


def test_media_urls_and_alt_uri_are_not_tracked() -> None:
    found = tracked_urls([BUTTONS, IMAGE_CAROUSEL, IMAGEMAP, FLEX])
    assert not any(url.startswith("https://img.jp/") for url in found)
    assert "https://t.jp/desktop" not in found


def test_quick_reply_on_a_non_text_message() -> None:
    sticker = {
        "type": "sticker",
        "packageId": "446",
        "stickerId": "1988",
        "quickReply": {"items": [{"type": "action", "action": uri("https://q.jp/s")}]},
    }
    assert tracked_urls([sticker]) == ["https://q.jp/s"]


def test_garbage_is_skipped() -> None:
    messages = [
        None,
        "text",
        {"type": "text", "text": 5},
        {"type": "uri", "uri": None},
        text("https://ok.jp"),
    ]
    assert tracked_urls(messages) == ["https://ok.jp"]  # type: ignore[arg-type]


def test_deep_nesting_does_not_overflow() -> None:
    node: dict = uri("https://deep.jp/")
    for _ in range(5000):
        node = {"type": "box", "layout": "vertical", "contents": [node]}
    assert tracked_urls([{"type": "flex", "altText": "x", "contents": node}]) == [
        "https://deep.jp/"
    ]


# --- rewriting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "mapping", "expected"),
    [
        (
            "詳しくはhttps://a.jp/x。",
            {"https://a.jp/x": "https://r.jp/1"},
            "詳しくはhttps://r.jp/1。",
        ),
        # whole URLs only
        ("https://a.jp/xy", {"https://a.jp/x": "https://r.jp/1"}, "https://a.jp/xy"),
        ("https://a.jp/x?y=1", {"https://a.jp/x": "https://r.jp/1"}, "https://a.jp/x?y=1"),
        ("https://a.jp/x/", {"https://a.jp/x": "https://r.jp/1"}, "https://a.jp/x/"),
        ("https://a.jp/x https://a.jp/xy", {"https://a.jp/x": "R"}, "R https://a.jp/xy"),
        # every occurrence
        ("https://a.jp/x と https://a.jp/x", {"https://a.jp/x": "R"}, "R と R"),
        # trailing punctuation and parentheses stay outside the replacement
        ("(https://a.jp/x).", {"https://a.jp/x": "R"}, "(R)."),
        ("https://w.org/A_(b)!", {"https://w.org/A_(b)": "R"}, "R!"),
        ("https://w.org/A_(b)!", {"https://w.org/A_(b": "R"}, "https://w.org/A_(b)!"),
        # only mapped URLs change
        ("https://a.jp/ https://b.jp/", {"https://b.jp/": "R"}, "https://a.jp/ R"),
        ("https://a.jp/?q=1#f", {"https://a.jp/?q=1#f": "R"}, "R"),
        ("https://a.jp/?q=1#f", {"https://a.jp/?q=1": "R"}, "https://a.jp/?q=1#f"),
        ("http://a.jp/", {"http://a.jp/": "R"}, "http://a.jp/"),
        # a replacement is not itself scanned again
        (
            "https://a.jp/ https://b.jp/",
            {"https://a.jp/": "https://b.jp/", "https://b.jp/": "https://c.jp/"},
            "https://b.jp/ https://c.jp/",
        ),
        ("no links", {"https://a.jp/": "R"}, "no links"),
    ],
)
def test_rewrite_text(body: str, mapping: dict[str, str], expected: str) -> None:
    assert rewrite_links([text(body)], mapping) == [text(expected)]
    textv2 = {"type": "textV2", "text": body}
    assert rewrite_links([textv2], mapping) == [{"type": "textV2", "text": expected}]


def test_rewrite_every_place_and_only_mapped_urls() -> None:
    messages = [BUTTONS, CAROUSEL, IMAGEMAP, FLEX, QUICK_REPLY_TEXT, IMAGE_CAROUSEL, CONFIRM]
    urls = tracked_urls(messages)
    mapping = {url: f"https://r.example/{i}" for i, url in enumerate(urls) if i % 2 == 0}
    rewritten = rewrite_links(messages, mapping)

    remaining = tracked_urls(rewritten)
    for url in urls:
        assert (url in remaining) is (url not in mapping)
    assert set(mapping.values()) <= set(remaining)
    assert all(check_messages([message]) == [] for message in rewritten)

    # everything else is untouched: undo the mapping and get the input back
    back = rewrite_links(rewritten, {v: k for k, v in mapping.items()})
    assert back == messages


def test_rewrite_places() -> None:
    mapping = {
        "https://t.jp/default": "D",
        "https://t.jp/2": "T2",
        "https://map.jp/left": "L",
        "https://f.jp/hero": "H",
        "https://f.jp/deep": "X",
        "https://q.jp/item": "Q",
        "https://q.jp/text": "QT",
    }
    buttons, imagemap, flex, quick = rewrite_links(
        [BUTTONS, IMAGEMAP, FLEX, QUICK_REPLY_TEXT], mapping
    )
    assert buttons["template"]["defaultAction"]["uri"] == "D"
    assert buttons["template"]["actions"][4]["uri"] == "T2"
    assert buttons["template"]["actions"][4]["altUri"] == {"desktop": "https://t.jp/desktop"}
    assert buttons["template"]["actions"][0]["uri"] == "https://t.jp/1"
    assert imagemap["actions"][0]["linkUri"] == "L"
    assert imagemap["baseUrl"] == "https://img.jp/map"
    bubble = flex["contents"]["contents"]
    assert bubble[0]["hero"]["action"]["uri"] == "H"
    assert bubble[0]["hero"]["url"] == "https://img.jp/hero.png"
    assert bubble[1]["footer"]["contents"][0]["action"]["uri"] == "H"  # repeated URL, both places
    assert bubble[0]["body"]["contents"][0]["contents"][0]["action"]["uri"] == "X"
    assert bubble[0]["body"]["contents"][0]["contents"][0]["text"] == "deep"
    assert quick["text"] == "Pick one QT"
    assert quick["quickReply"]["items"][0]["action"]["uri"] == "Q"


def test_alt_uri_and_media_are_never_rewritten() -> None:
    mapping = {
        "https://t.jp/desktop": "X",
        "https://img.jp/map": "X",
        "https://img.jp/hero.png": "X",
    }
    messages = [BUTTONS, IMAGEMAP, FLEX]
    assert rewrite_links(messages, mapping) == messages


def test_input_is_not_mutated_and_output_shares_nothing() -> None:
    messages = [BUTTONS, FLEX, QUICK_REPLY_TEXT, text("https://a.jp/")]
    before = copy.deepcopy(messages)
    mapping = {url: "https://r.jp/" for url in tracked_urls(messages)}
    rewritten = rewrite_links(messages, mapping)
    assert messages == before
    rewritten[0]["template"]["actions"][1]["data"] = "changed"
    rewritten[1]["contents"]["contents"][0]["hero"]["url"] = "changed"
    assert messages == before
    unchanged = rewrite_links(messages, {})
    assert unchanged == messages and unchanged is not messages
    assert unchanged[0]["template"] is not messages[0]["template"]


def test_results_are_json() -> None:
    rewritten = rewrite_links([FLEX, IMAGEMAP], {"https://f.jp/body": "https://r.jp/?u=1&s=2"})
    assert json.loads(json.dumps(rewritten)) == rewritten


def test_import_is_pure() -> None:
    """core.links is imported inside workflow sandboxes: standard library only."""
    code = "import sys, core.links; print(sorted(m for m in sys.modules if m.split('.')[0] in {'linebot', 'pydantic', 'temporalio'}))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
