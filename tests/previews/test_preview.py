"""app/preview.py: a step's messages drawn as the emulator draws them, placeholders filled as a
push fills them, everything typed escaped."""

import re

import httpx

from app.preview import personalized, render
from core.personalize import fill, friend_values
from emulator.app import EmulatorConfig, create_app
from emulator.chat import templates
from store.tables import Friend
from tests.emulator.test_chat_html import EVERY_KIND
from tests.support.stack import user

AOI = Friend(user_id=user(1), display_name="Aoi", attributes={"plan": "gold", "site": "a.example"})
ACTION = {"type": "postback", "label": "Yes", "data": "yes"}


def _kinds(html: str) -> list[str]:
    return re.findall(r'class="msg[^"]*" data-message="([A-Za-z0-9]+)"', html)


def test_each_kind_is_drawn_as_a_line_bubble():
    messages = [
        {
            "type": "text",
            "text": "hi $ https://shop.example/x",
            "emojis": [{"index": 3, "productId": "p", "emojiId": "e"}],
        },
        {"type": "sticker", "packageId": "446", "stickerId": "1988"},
        {
            "type": "image",
            "originalContentUrl": "https://i.example/a.png",
            "previewImageUrl": "https://i.example/b.png",
        },
        {
            "type": "template",
            "altText": "menu",
            "template": {
                "type": "buttons",
                "text": "Pick",
                "actions": [
                    ACTION,
                    {"type": "uri", "label": "Shop", "uri": "https://shop.example"},
                ],
            },
        },
        {
            "type": "template",
            "altText": "sure?",
            "template": {
                "type": "confirm",
                "text": "Sure?",
                "actions": [ACTION, {"type": "message", "label": "No", "text": "no"}],
            },
        },
    ]
    more = [
        {
            "type": "template",
            "altText": "c",
            "template": {
                "type": "carousel",
                "columns": [
                    {"text": "one", "actions": [ACTION]},
                    {"text": "two", "actions": [ACTION]},
                ],
            },
        },
        {
            "type": "flex",
            "altText": "news",
            "contents": {
                "type": "bubble",
                "body": {
                    "type": "box",
                    "layout": "vertical",
                    "contents": [
                        {"type": "text", "text": "Flex body"},
                        {"type": "button", "action": ACTION},
                    ],
                },
            },
        },
        {"type": "coupon", "couponId": "cpn_1"},
        {
            "type": "text",
            "text": "last",
            "quickReply": {
                "items": [
                    {"type": "action", "action": {"type": "message", "label": "Chip", "text": "c"}}
                ]
            },
        },
    ]
    html = render(messages, None)
    assert _kinds(html) == ["text", "sticker", "image", "template", "template"]
    assert 'class="line-emoji"' in html
    assert '<a href="https://shop.example/x" target="_blank" rel="noopener noreferrer">' in html
    assert "446 / 1988" in html and 'src="https://i.example/b.png"' in html
    assert "template-buttons" in html and "template-confirm" in html
    assert '<span class="action button" title="postback: data=yes">Yes</span>' in html  # not run
    html = render(more, None)
    assert _kinds(html) == ["template", "flex", "coupon", "text"]
    assert html.count('class="card"') == 2 and "Flex body" in html and "cpn_1" in html
    assert '<div class="quick-reply"' in html and ">Chip</span>" in html
    assert "<form" not in html  # a preview runs nothing


def test_placeholders_are_filled_for_the_friend_as_a_push_fills_them():
    messages = [
        {
            "type": "text",
            "text": "{displayName}: {attribute:plan} {attribute:pts} https://s.example/?u={attribute:plan}",
        }
    ]
    defaults = {"attribute:pts": "0"}
    shown, filled = personalized(messages, AOI, defaults)
    assert shown == fill(messages, friend_values("Aoi", AOI.attributes), defaults)
    assert shown[0]["text"] == "Aoi: gold 0 https://s.example/?u=gold"
    assert [(f.key, f.value, f.source) for f in filled] == [
        ("displayName", "Aoi", "friend"),
        ("attribute:plan", "gold", "friend"),
        ("attribute:pts", "0", "default"),
    ]
    html = render(messages, AOI, defaults)
    assert "Aoi: gold 0" in html and "{attribute:plan}" in html  # the note names each one


def test_an_unknown_friend_gets_defaults_and_blanks_like_a_push():
    messages = [{"type": "text", "text": "Hi {displayName}{attribute:x} {attribute:} {foo}"}]
    shown, filled = personalized(messages, None, {"displayName": "there"})
    assert shown[0]["text"] == "Hi there {attribute:} {foo}"  # malformed and foreign stay
    assert [f.source for f in filled] == ["default", "blank"]
    assert "left blank" in render(messages, None, {"displayName": "there"})
    untouched = [{"type": "text", "text": "no placeholders"}]
    assert personalized(untouched, AOI) == (untouched, [])


def test_a_friends_value_is_never_a_link():
    evil = Friend(user_id=user(2), display_name="https://evil.example", attributes={})
    html = render([{"type": "text", "text": "Hi {displayName}"}], evil)
    assert "evil.example</a>" not in html and 'href="https://evil' not in html


def test_everything_typed_is_escaped():
    script = "<script>alert(1)</script>"
    friend = Friend(user_id=user(3), display_name=script, attributes={"x": script})
    messages = [
        {"type": "text", "text": f"{script} {{displayName}} {{attribute:x}}"},
        {
            "type": "template",
            "altText": script,
            "template": {
                "type": "buttons",
                "title": script,
                "text": script,
                "actions": [{"type": "uri", "label": script, "uri": "javascript:alert(1)"}],
            },
        },
        {
            "type": "image",
            "originalContentUrl": "javascript:alert(1)",
            "previewImageUrl": '"><script>',
        },
        {"type": script},
    ]
    html = render(messages, friend)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html.replace('title="uri: uri=javascript:alert(1)"', "")


def test_the_emulator_draws_each_message_as_the_preview_does():
    emulator = templates.env.from_string(
        '{% import "_messages.html" as draw with context %}{{ draw.message(m) }}'
    )
    shared = templates.env.from_string(
        '{% import "bubbles.html" as bubbles %}{{ bubbles.message(m) }}'
    )
    for message in [m for push in EVERY_KIND for m in push]:
        # a friend who does not follow: nothing to tap, as in a preview
        assert emulator.render(m=message, friend=None) == shared.render(m=message), message


async def test_the_emulator_serves_the_shared_css():
    app = create_app(EmulatorConfig(access_token="t", channel_secret="s"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://emu"
    ) as client:
        css = await client.get("/emulator/bubbles.css")
        page = await client.get("/emulator/chat")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert ".line-chat .bubble" in css.text
    assert '<link rel="stylesheet" href="/emulator/bubbles.css">' in page.text
    assert 'class="chat line-chat"' in page.text
