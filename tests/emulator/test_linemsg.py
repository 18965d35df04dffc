"""core.linemsg: LINE message validation and conversion to SDK models."""

import copy

import pytest
from linebot.v3.messaging import models

from core.linemsg import Problem, check_messages, to_sdk_messages, utf16_len

IMG = "https://example.com/a.jpg"

VALID = {
    "text with quick reply": {
        "type": "text",
        "text": "Hello 😀",
        "quickReply": {
            "items": [
                {
                    "type": "action",
                    "imageUrl": "https://example.com/icon.png",
                    "action": {"type": "message", "label": "Yes", "text": "yes"},
                },
                {
                    "type": "action",
                    "action": {
                        "type": "postback",
                        "label": "Later",
                        "data": "a=1",
                        "displayText": "later",
                    },
                },
            ]
        },
    },
    "image": {"type": "image", "originalContentUrl": IMG, "previewImageUrl": IMG},
    "sticker": {"type": "sticker", "packageId": "446", "stickerId": "1988"},
    "flex bubble": {
        "type": "flex",
        "altText": "Menu",
        "contents": {
            "type": "bubble",
            "hero": {"type": "image", "url": IMG, "size": "full", "aspectMode": "cover"},
            "body": {
                "type": "box",
                "layout": "vertical",
                "contents": [
                    {"type": "text", "text": "Brown Cafe", "weight": "bold", "size": "xl"},
                    {
                        "type": "button",
                        "style": "primary",
                        "action": {"type": "uri", "label": "Call", "uri": "tel:0312345678"},
                    },
                ],
            },
        },
    },
    "template buttons": {
        "type": "template",
        "altText": "Buttons",
        "template": {
            "type": "buttons",
            "thumbnailImageUrl": IMG,
            "title": "Menu",
            "text": "Please select",
            "defaultAction": {"type": "uri", "label": "View", "uri": "https://example.com/p"},
            "actions": [{"type": "uri", "label": "Open", "uri": "https://example.com/open"}],
        },
    },
    "coupon": {"type": "coupon", "couponId": "01JYNW8JMQVFBNWF1APF8Z3FS7"},
    "video": {"type": "video", "originalContentUrl": "https://e.com/v.mp4", "previewImageUrl": IMG},
    "audio": {"type": "audio", "originalContentUrl": "https://e.com/a.m4a", "duration": 60000},
    "location": {
        "type": "location",
        "title": "Office",
        "address": "Tokyo",
        "latitude": 35.68,
        "longitude": 139.76,
    },
    "textV2": {
        "type": "textV2",
        "text": "Hi {user}",
        "substitution": {"user": {"type": "mention", "mentionee": {"type": "all"}}},
    },
    "imagemap": {
        "type": "imagemap",
        "baseUrl": "https://example.com/map",
        "altText": "map",
        "baseSize": {"width": 1040, "height": 1040},
        "actions": [
            {
                "type": "uri",
                "linkUri": "https://example.com/",
                "area": {"x": 0, "y": 0, "width": 520, "height": 1040},
            }
        ],
    },
}


@pytest.mark.parametrize("name", list(VALID))
def test_valid_messages_have_no_problems(name):
    assert check_messages([VALID[name]]) == []


def test_five_messages_is_the_maximum():
    assert check_messages([VALID["image"]] * 5) == []
    assert check_messages([VALID["image"]] * 6) == [
        Problem("messages", "must contain at most 5 messages (got 6)")
    ]
    assert check_messages([]) == [Problem("messages", "must contain at least 1 message")]


@pytest.mark.parametrize("garbage", [None, 5, "text", {"type": "text"}, True, 1.5])
def test_not_a_list(garbage):
    assert check_messages(garbage) == [
        Problem("messages", "must be an array of 1 to 5 message objects")
    ]


@pytest.mark.parametrize(
    "garbage",
    [None, 7, "x", [], [[{}]], {"type": None}, {"type": 3}, {"type": {"a": 1}}, {1: 2}],
)
def test_garbage_inside_never_raises(garbage):
    problems = check_messages([garbage], path="steps[0].messages")
    assert problems and all(p.path.startswith("steps[0].messages[0]") for p in problems)


def test_absurd_nesting_is_reported_not_raised():
    box: dict = {"type": "box", "layout": "vertical", "contents": []}
    root = box
    for _ in range(3000):
        inner = {"type": "box", "layout": "vertical", "contents": []}
        box["contents"].append(inner)
        box = inner
    message = {"type": "flex", "altText": "a", "contents": {"type": "bubble", "body": root}}
    assert check_messages([message]) != []


def test_unknown_and_missing_type():
    assert check_messages([{"type": "carousel"}, {"text": "x"}]) == [
        Problem(
            "messages[0].type",
            "must be one of audio, coupon, flex, image, imagemap, location, sticker, "
            'template, text, textV2, video (got "carousel")',
        ),
        Problem("messages[1].type", "is required"),
    ]


def test_text_length_counts_utf16_code_units():
    assert utf16_len("😀") == 2 and utf16_len("あ") == 1
    assert check_messages([{"type": "text", "text": "a" * 5000}]) == []
    assert check_messages([{"type": "text", "text": "a" * 5001}]) == [
        Problem("messages[0].text", "must be at most 5000 UTF-16 code units (got 5001)")
    ]
    # 2500 emoji are 2500 code points but 5000 code units: the limit; one more is over.
    assert check_messages([{"type": "text", "text": "😀" * 2500}]) == []
    assert check_messages([{"type": "textV2", "text": "a" + "😀" * 2500}]) == [
        Problem("messages[0].text", "must be at most 5000 UTF-16 code units (got 5001)")
    ]
    assert check_messages([{"type": "text", "text": ""}]) == [
        Problem("messages[0].text", "must not be empty")
    ]


def test_structure_errors_come_from_the_sdk_with_paths():
    assert check_messages([{"type": "text"}, {"type": "text", "text": 5}]) == [
        Problem("messages[0].text", "is required"),
        Problem("messages[1].text", "must be a string"),
    ]
    assert check_messages([{"type": "sticker", "packageId": "1"}, {"type": "coupon"}]) == [
        Problem("messages[0].stickerId", "is required"),
        Problem("messages[1].couponId", "is required"),
    ]


def test_nested_actions_and_flex_components_get_full_paths():
    template = copy.deepcopy(VALID["template buttons"])
    template["template"]["actions"].append({"type": "teleport"})
    template["template"]["actions"].append({"type": "postback", "label": "x", "data": 5})
    flex = copy.deepcopy(VALID["flex bubble"])
    flex["contents"]["body"]["layout"] = "diagonal"
    flex["contents"]["body"]["contents"][0]["text"] = ["not", "a", "string"]
    problems = check_messages([template, flex])
    assert (
        Problem(
            "messages[0].template.actions[1].type",
            "must be one of camera, cameraRoll, clipboard, datetimepicker, location, message, "
            'postback, richmenuswitch, uri (got "teleport")',
        )
        in problems
    )
    assert Problem("messages[0].template.actions[2].data", "must be a string") in problems
    assert Problem("messages[1].contents.body.contents[0].text", "must be a string") in problems
    assert any(p.path == "messages[1].contents.body.layout" for p in problems)
    assert len(problems) == 4


def test_media_urls_must_be_https_and_at_most_2000_characters():
    long_url = "https://example.com/" + "a" * 1981  # 2001 characters
    messages = [
        {
            "type": "image",
            "originalContentUrl": "http://example.com/a.jpg",
            "previewImageUrl": long_url,
        },
        {"type": "audio", "originalContentUrl": "ftp://x/a.m4a", "duration": 1},
        {**VALID["imagemap"], "baseUrl": "http://example.com/map"},
        {
            **VALID["template buttons"],
            "template": {**VALID["template buttons"]["template"], "thumbnailImageUrl": "http://x"},
        },
        {
            "type": "flex",
            "altText": "a",
            "contents": {"type": "bubble", "hero": {"type": "image", "url": "http://x/h.jpg"}},
        },
    ]
    assert check_messages(messages) == [
        Problem("messages[0].originalContentUrl", "must be an https URL"),
        Problem("messages[0].previewImageUrl", "must be at most 2000 characters (got 2001)"),
        Problem("messages[1].originalContentUrl", "must be an https URL"),
        Problem("messages[2].baseUrl", "must be an https URL"),
        Problem("messages[3].template.thumbnailImageUrl", "must be an https URL"),
        Problem("messages[4].contents.hero.url", "must be an https URL"),
    ]


def test_uri_actions_need_a_known_scheme():
    buttons = copy.deepcopy(VALID["template buttons"])
    buttons["template"]["actions"][0]["uri"] = "javascript:alert(1)"
    del buttons["template"]["defaultAction"]["uri"]
    assert check_messages([buttons]) == [
        Problem("messages[0].template.defaultAction.uri", "is required"),
        Problem("messages[0].template.actions[0].uri", "must be an http, https, line or tel URI"),
    ]


def test_alt_text_location_and_quick_reply_limits():
    quick = {"type": "action", "action": {"type": "message", "label": "a", "text": "a"}}
    messages = [
        {**VALID["flex bubble"], "altText": "x" * 1501},
        {**VALID["template buttons"], "altText": ""},
        {**VALID["location"], "title": "t" * 101, "address": "a" * 100},
        {"type": "text", "text": "pick", "quickReply": {"items": [quick] * 14}},
    ]
    assert check_messages([{**VALID["imagemap"], "altText": "x" * 1500}]) == []
    assert (
        check_messages([{"type": "text", "text": "p", "quickReply": {"items": [quick] * 13}}]) == []
    )
    assert check_messages(messages) == [
        Problem("messages[0].altText", "must be at most 1500 UTF-16 code units (got 1501)"),
        Problem("messages[1].altText", "must not be empty"),
        Problem("messages[2].title", "must be at most 100 UTF-16 code units (got 101)"),
        Problem("messages[3].quickReply.items", "must have at most 13 items"),
    ]


def test_custom_path_prefix():
    assert check_messages([{"type": "text"}], path="steps[2].messages") == [
        Problem("steps[2].messages[0].text", "is required")
    ]


def _contains(actual, expected) -> bool:
    """Every field of `expected` is in `actual` with the same value (the SDK may add defaults)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and _contains(actual[key], value) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_contains(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return actual == expected


ROUND_TRIP = [
    "text with quick reply",
    "image",
    "sticker",
    "flex bubble",
    "template buttons",
    "coupon",
]


def test_to_sdk_messages_round_trips_the_users_fields():
    originals = [VALID[name] for name in ROUND_TRIP]
    sdk = to_sdk_messages(copy.deepcopy(originals[:3])) + to_sdk_messages(
        copy.deepcopy(originals[3:])
    )
    assert [type(m) for m in sdk] == [
        models.TextMessage,
        models.ImageMessage,
        models.StickerMessage,
        models.FlexMessage,
        models.TemplateMessage,
        models.CouponMessage,
    ]
    for original, message in zip(originals, sdk, strict=True):
        assert _contains(message.to_dict(), original), message.to_dict()
    # Only documented defaults are added (flex image `animated` defaults to false).
    assert sdk[3].to_dict()["contents"]["hero"].pop("animated") is False
    assert [m.to_dict() for m in sdk[:3] + sdk[4:]] == originals[:3] + originals[4:]


def test_to_sdk_messages_refuses_invalid_messages():
    with pytest.raises(ValueError, match=r"messages\[0\]\.text: must not be empty"):
        to_sdk_messages([{"type": "text", "text": ""}])
