"""The chat view's HTML endpoints (/emulator/chat…), without a browser: what each page says,
escaping, the add/block/unblock buttons' webhooks, the live poll, and bad input."""

import json
import re

import pytest

from core import bubbles as drawing
from emulator.names import display_name
from tests.emulator.conftest import befriend, push, text, user

ACTIONS = [
    {"type": "uri", "label": "Open the shop", "uri": "https://shop.example.com/"},
    {"type": "postback", "label": "Not now", "data": "later=1"},
]
# One message of each kind LINE draws, five per push (LINE's limit).
EVERY_KIND = [
    [
        {"type": "text", "text": "Hello $ and 😀\nsee https://shop.example.com/sale",
         "emojis": [{"index": 6, "productId": "5ac1bfd5040ab15980c9b435", "emojiId": "001"}]},
        {"type": "textV2", "text": "Hi {user}! {smile} {{braces}}",
         "substitution": {"user": {"type": "mention", "mentionee": {"type": "all"}},
                          "smile": {"type": "emoji", "productId": "5ac1bfd5", "emojiId": "002"}}},
        {"type": "sticker", "packageId": "446", "stickerId": "1988"},
        {"type": "image", "originalContentUrl": "https://img.example.com/a.jpg",
         "previewImageUrl": "https://img.example.com/a-preview.jpg"},
        {"type": "video", "originalContentUrl": "https://img.example.com/v.mp4",
         "previewImageUrl": "https://img.example.com/v.jpg"},
    ],
    [
        {"type": "audio", "originalContentUrl": "https://img.example.com/a.m4a", "duration": 62000},
        {"type": "location", "title": "Shibuya store", "address": "1-2-3 Shibuya, Tokyo",
         "latitude": 35.658, "longitude": 139.7016},
        {"type": "imagemap", "baseUrl": "https://img.example.com/map", "altText": "Spring menu",
         "baseSize": {"width": 1040, "height": 1040},
         "actions": [{"type": "uri", "label": "Menu", "linkUri": "https://shop.example.com/menu",
                      "area": {"x": 0, "y": 0, "width": 520, "height": 1040}},
                     {"type": "message", "text": "Reserve a table",
                      "area": {"x": 520, "y": 0, "width": 520, "height": 1040}}]},
        {"type": "template", "altText": "Pick a plan",
         "template": {"type": "buttons", "title": "Plans", "text": "Which plan suits you?",
                      "thumbnailImageUrl": "https://img.example.com/plans.jpg", "actions": ACTIONS}},
        {"type": "template", "altText": "Confirm the booking",
         "template": {"type": "confirm", "text": "Book for 7 pm?",
                      "actions": [{"type": "message", "label": "Yes", "text": "yes"},
                                  {"type": "message", "label": "No", "text": "no"}]}},
    ],
    [
        {"type": "template", "altText": "Our picks",
         "template": {"type": "carousel", "columns": [
             {"title": "Tea", "text": "Green tea set", "actions": ACTIONS[:1]},
             {"title": "Cake", "text": "Matcha roll", "actions": ACTIONS[1:]}]}},
        {"type": "template", "altText": "Gallery",
         "template": {"type": "image_carousel", "columns": [
             {"imageUrl": "https://img.example.com/1.jpg",
              "action": {"type": "uri", "label": "See more", "uri": "https://shop.example.com/1"}}]}},
        {"type": "flex", "altText": "Your receipt",
         "contents": {"type": "bubble",
                      "body": {"type": "box", "layout": "vertical", "contents": [
                          {"type": "text", "text": "Receipt #42"},
                          {"type": "text", "text": "Total ¥1,200"}]},
                      "footer": {"type": "box", "layout": "vertical", "contents": [
                          {"type": "button", "action": {"type": "uri", "label": "View order",
                                                        "uri": "https://shop.example.com/o/42"}}]}}},
        {"type": "coupon", "couponId": "01JCOUPON0000000000000000042", "deliveryTag": "spring"},
        {"type": "text", "text": "Anything else?",
         "quickReply": {"items": [
             {"type": "action", "action": {"type": "message", "label": "Opening hours", "text": "hours"}},
             {"type": "action", "action": {"type": "location", "label": "Send my location"}}]}},
    ],
]  # fmt: skip

# what the cards of EVERY_KIND show: altText, titles, texts and each button's label
CARD_WORDS = [
    *("Spring menu", "Menu", "Reserve a table"),
    *("Pick a plan", "Plans", "Which plan suits you?", "Open the shop", "Not now"),
    *("Book for 7 pm?", "Yes", "No", "Our picks", "Tea", "Matcha roll", "Gallery", "See more"),
    *("Your receipt", "Receipt #42", "Total ¥1,200", "View order"),
]


def bubbles(page: str) -> list[str]:
    """The data-message kinds on a page, in order: one per delivered message."""
    return re.findall(r'<[a-z]+ class="msg[^"]*" data-message="([A-Za-z0-9]+)"', page)


async def test_chat_list_names_every_user_with_state_and_count(client, state):
    await befriend(client, user(1), user(2))
    await client.post(f"/emulator/users/{user(2)}/unfollow")
    assert (await push(client, user(1), [text("one"), text("two")])).status_code == 200

    page = await client.get("/emulator/chat")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    rows = re.findall(r'data-user-id="(U[0-9a-f]{32})" data-state="(\w+)"', page.text)
    assert rows == [(user(2), "blocked"), (user(1), "friend")]  # the newest friend first
    assert ">Add a new friend</button>" in page.text
    assert f'action="/emulator/chat/{user(1)}/block"' in page.text
    assert f'action="/emulator/chat/{user(2)}/unblock"' in page.text
    counts = re.findall(r'<span class="count"[^>]*>(\d+)</span>', page.text)
    assert counts == ["0", "2"]
    assert bubbles(page.text) == []  # nobody's chat is open


async def test_text_is_escaped_and_keeps_its_line_breaks(client, state):
    await client.post(f"/emulator/users/{user(3)}/follow", json={"display_name": "<b>Bo</b>"})
    evil = '<script>alert("hi")</script>\nline two'
    assert (await push(client, user(3), [text(evil)])).status_code == 200

    page = (await client.get(f"/emulator/chat/{user(3)}")).text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;hi&#34;)&lt;/script&gt;\nline two</div>" in page
    assert "<b>Bo</b>" not in page and "&lt;b&gt;Bo&lt;/b&gt;" in page
    assert bubbles(page) == ["text"]


async def test_every_message_kind_is_drawn(client, state):
    await befriend(client, user(4))
    await client.put("/emulator/coupons/01JCOUPON0000000000000000042")  # a running coupon
    for messages in EVERY_KIND:
        assert (await push(client, user(4), messages)).status_code == 200, messages

    answer = await client.get(f"/emulator/chat/{user(4)}")
    assert answer.status_code == 200
    page = answer.text
    sent = [m["type"] for messages in EVERY_KIND for m in messages]
    assert bubbles(page) == sent
    # text: LINE emoji at the $, the link tappable; textV2: mention and emoji substituted
    assert 'title="LINE emoji 5ac1bfd5040ab15980c9b435/001"' in page
    assert '<a href="https://shop.example.com/sale" target="_blank"' in page
    assert 'Hi <span class="mention">@All</span>! <span class="line-emoji"' in page
    assert "{braces}" in page and "{{braces}}" not in page
    # sticker: a drawn placeholder with its ids, never a remote picture
    assert "446 / 1988" in page and "stickershop" not in page
    # pictures: the preview as an <img>, the original as the link
    assert '<img src="https://img.example.com/a-preview.jpg" alt="Image">' in page
    assert '<a href="https://img.example.com/a.jpg"' in page
    assert '<img src="https://img.example.com/v.jpg" alt="Video">' in page
    assert ">1:02</span>" in page  # audio, 62 s
    assert "Shibuya store" in page and "1-2-3 Shibuya, Tokyo" in page
    # cards: altText and every button's label
    for words in CARD_WORDS:
        assert f">{words}<" in page, words
    assert 'title="postback: data=later=1"' in page
    assert "01JCOUPON0000000000000000042" in page and ">spring<" in page
    # quick reply under the last message
    quick = page.split('class="quick-reply"')[1]
    assert re.findall(r'class="action chip"[^>]*>([^<]+)<', quick) == [
        "Opening hours",
        "Send my location",
    ]


async def test_quick_reply_shows_only_under_the_last_message(client, state):
    await befriend(client, user(5))
    asking = text("Coffee or tea?") | {
        "quickReply": {
            "items": [
                {"type": "action", "action": {"type": "message", "label": "Tea", "text": "t"}}
            ]
        }
    }
    await push(client, user(5), [asking])
    assert 'class="quick-reply"' in (await client.get(f"/emulator/chat/{user(5)}")).text
    await push(client, user(5), [text("Anyway…")])
    assert 'class="quick-reply"' not in (await client.get(f"/emulator/chat/{user(5)}")).text


async def test_pushes_not_delivered_are_a_note_not_bubbles(client, state):
    await befriend(client, user(6))
    await push(client, user(6), [text("before")])
    await client.post(f"/emulator/users/{user(6)}/unfollow")
    await push(client, user(6), [text("after"), text("again")])

    page = (await client.get(f"/emulator/chat/{user(6)}")).text
    assert bubbles(page) == ["text"]
    assert "Not delivered (blocked): 2 messages" in page
    assert ">after<" not in page
    delivered = [
        m
        for d in (await client.get("/emulator/messages", params={"user_id": user(6)})).json()
        if d["delivered"]
        for m in d["messages"]
    ]
    assert len(delivered) == len(bubbles(page)) == 1


async def test_add_a_friend_sends_a_signed_follow_webhook(client, state, receiver):
    answer = await client.post("/emulator/chat/friends", data={"display_name": "  Aoi  "})
    assert answer.status_code == 303
    location = answer.headers["location"]
    user_id = re.fullmatch(r"/emulator/chat/(U[0-9a-f]{32})\?event=follow&webhook=200", location)[1]
    assert state.users[user_id].state == "friend"
    assert state.users[user_id].display_name == "Aoi"
    [(headers, body)] = receiver.requests
    assert headers["x-line-signature"]
    event = json.loads(body)["events"][0]
    assert (event["type"], event["source"]["userId"]) == ("follow", user_id)

    page = (await client.get(location)).text
    assert "Sent a signed follow webhook to the bot: HTTP 200" in page
    assert f'data-user-id="{user_id}" data-state="friend"' in page


async def test_add_a_friend_with_a_given_id(client, state, receiver):
    answer = await client.post("/emulator/chat/friends", data={"user_id": user(7)})
    assert answer.status_code == 303
    assert answer.headers["location"].startswith(f"/emulator/chat/{user(7)}?")
    assert state.users[user(7)].display_name == display_name(user(7), ())  # a readable name
    assert len(receiver.requests) == 1


async def test_block_and_unblock_send_the_webhooks(client, state, receiver):
    await befriend(client, user(8))
    receiver.requests.clear()

    blocked = await client.post(f"/emulator/chat/{user(8)}/block")
    assert blocked.status_code == 303
    assert blocked.headers["location"] == f"/emulator/chat/{user(8)}?event=unfollow&webhook=200"
    assert state.users[user(8)].state == "blocked"
    page = (await client.get(blocked.headers["location"])).text
    assert "Sent a signed unfollow webhook to the bot: HTTP 200" in page
    assert f'action="/emulator/chat/{user(8)}/unblock"' in page

    unblocked = await client.post(f"/emulator/chat/{user(8)}/unblock")
    assert unblocked.status_code == 303
    assert state.users[user(8)].state == "friend"
    events = [json.loads(body)["events"][0] for _, body in receiver.requests]
    assert [e["type"] for e in events] == ["unfollow", "follow"]
    assert events[1]["follow"] == {"isUnblocked": True}


async def test_webhook_failure_is_told(client, state, receiver):
    receiver.status = 500
    answer = await client.post("/emulator/chat/friends", data={"user_id": user(9)})
    page = (await client.get(answer.headers["location"])).text
    assert "Sent a signed follow webhook to the bot: HTTP 500" in page
    state.config.webhook_url = None
    answer = await client.post(f"/emulator/chat/{user(9)}/block")
    page = (await client.get(answer.headers["location"])).text
    assert "No webhook URL is set: the unfollow was not sent to any bot" in page


async def test_live_poll_answers_only_when_something_changed(client, state):
    await befriend(client, user(10))
    first = (await client.get("/emulator/chat/updates", params={"user_id": user(10)})).json()
    assert set(first) == {"stamp", "friends", "conversation"}
    assert "Nothing received yet" in first["conversation"]
    params = {"user_id": user(10), "since": first["stamp"]}
    assert (await client.get("/emulator/chat/updates", params=params)).json() == {
        "stamp": first["stamp"]
    }

    await push(client, user(10), [text("fresh")])
    changed = (await client.get("/emulator/chat/updates", params=params)).json()
    assert changed["stamp"] != first["stamp"]
    assert (
        bubbles(changed["conversation"]) == ["text"] and ">fresh</div>" in changed["conversation"]
    )
    assert f'data-user-id="{user(10)}"' in changed["friends"]
    everyone = (await client.get("/emulator/chat/updates")).json()
    assert set(everyone) == {"stamp", "friends"}


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/emulator/chat/{}"),
        ("POST", "/emulator/chat/{}/block"),
        ("POST", "/emulator/chat/{}/unblock"),
    ],
)
async def test_unknown_user_is_404_and_malformed_id_422(client, state, method, path):
    unknown = await client.request(method, path.format(user(404)))
    assert unknown.status_code == 404
    assert f"No user {user(404)} in the emulator" in unknown.text
    malformed = await client.request(method, path.format("U123<script>"))
    assert malformed.status_code == 422
    assert "user_id must be &#39;U&#39; followed by 32 lowercase hex characters" in malformed.text
    assert "<script>" not in malformed.text
    assert state.users == {}


async def test_bad_form_and_poll_input_is_422(client, state, receiver):
    bad_id = await client.post("/emulator/chat/friends", data={"user_id": "U12"})
    assert bad_id.status_code == 422 and "user_id must be" in bad_id.text
    long_name = await client.post("/emulator/chat/friends", data={"display_name": "x" * 51})
    assert long_name.status_code == 422 and "display_name must be at most 50" in long_name.text
    assert state.users == {} and receiver.requests == []
    poll = await client.get("/emulator/chat/updates", params={"user_id": "nobody"})
    assert poll.status_code == 422 and "user_id" in poll.json()["detail"]
    gone = await client.get("/emulator/chat/updates", params={"user_id": user(404)})
    assert gone.status_code == 404


async def test_index_and_static_files(client, state):
    for path in ("/", "/emulator"):
        answer = await client.get(path)
        assert (answer.status_code, answer.headers["location"]) == (307, "/emulator/chat")
    css = await client.get("/emulator/static/chat.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    js = await client.get("/emulator/static/chat.js")
    assert js.status_code == 200 and "setInterval(poll" in js.text
    docs = (await client.get("/openapi.json")).json()
    assert "/emulator/chat" in docs["info"]["description"]


def test_segments_follow_utf16_emoji_indexes_and_links():
    # 😀 counts two UTF-16 units, so the $ after it is at index 3, Python index 2
    message = {
        "type": "text",
        "text": "😀 $ https://a.example/x?y=1 end",
        "emojis": [{"index": 3, "productId": "p", "emojiId": "e"}],
    }
    assert drawing.segments(message) == [
        drawing.Segment("text", "😀 "),
        drawing.Segment("emoji", "p/e"),
        drawing.Segment("text", " "),
        drawing.Segment("link", "https://a.example/x?y=1"),
        drawing.Segment("text", " end"),
    ]
    pointing_elsewhere = message | {"emojis": [{"index": 0, "productId": "p", "emojiId": "e"}]}
    assert drawing.Segment("emoji", "p/e") not in drawing.segments(pointing_elsewhere)


def test_only_web_links_are_links():
    assert drawing.action_href({"type": "uri", "uri": "javascript:alert(1)"}) is None
    assert drawing.action_href({"type": "uri", "uri": "tel:0312345678"}) is None
    assert drawing.action_href({"type": "uri", "uri": "https://x.example/"}) == "https://x.example/"
    assert drawing.linkified("javascript:alert(1)") == [
        drawing.Segment("text", "javascript:alert(1)")
    ]


async def test_days_are_labelled_as_line_does(client, state):
    await befriend(client, user(11))
    await push(client, user(11), [text("a while ago")])
    state.clock.now += 3 * 86400
    await push(client, user(11), [text("yesterday")])
    state.clock.now += 86400
    await push(client, user(11), [text("today")])

    page = (await client.get(f"/emulator/chat/{user(11)}")).text
    labels = re.findall(r'<div class="day"><span>([^<]+)</span></div>', page)
    assert labels[1:] == ["Yesterday", "Today"]
    assert re.fullmatch(r"[A-Z][a-z]{2}, [A-Z][a-z]{2} \d{1,2}", labels[0]), labels
    assert bubbles(page) == ["text", "text", "text"]
