"""The chat view's friend actions without a browser: options drawn as forms that send LINE's
webhooks, the friend's own bubbles on the right, the text box, refusals, and the rich menu."""

import json
import re
from html import unescape

from emulator import chatscreen
from tests.emulator.conftest import befriend, push, text, user

SURVEY = {
    "type": "text",
    "text": "Which drink?",
    "quickReply": {
        "items": [
            {"type": "action", "action": {"type": "postback", "label": "Tea", "data": "q=1&a=tea",
                                          "displayText": "Tea, please"}},
            {"type": "action", "action": {"type": "postback", "label": "Skip", "data": "q=1&a=-"}},
            {"type": "action", "action": {"type": "message", "label": "Coffee", "text": "coffee"}},
            {"type": "action", "action": {"type": "datetimepicker", "label": "Birthday",
                                          "data": "birthday", "mode": "date", "initial": "2000-01-01",
                                          "max": "2026-12-31"}},
            {"type": "action", "action": {"type": "uri", "label": "Menu", "uri": "https://shop.example.com/m"}},
        ]
    },
}  # fmt: skip
CARD = {
    "type": "template",
    "altText": "Pick a plan",
    "template": {
        "type": "confirm",
        "text": "Book for 7 pm?",
        "actions": [
            {"type": "postback", "label": "Yes", "data": "book=yes", "displayText": "Yes <b>!</b>"},
            {"type": "message", "label": "No", "text": "no thanks"},
        ],
    },
}
FLEX = {
    "type": "flex",
    "altText": "Receipt",
    "contents": {
        "type": "bubble",
        "footer": {"type": "box", "layout": "vertical", "contents": [
            {"type": "button", "action": {"type": "postback", "label": "Rate us", "data": "rate=5"}}]},
    },
}  # fmt: skip


def forms(page: str) -> list[dict]:
    """Each tappable option: where it posts, its hidden fields and its button's words."""
    found = []
    for match in re.finditer(
        r'<form class="tap[^"]*" method="post" action="([^"]+)"[^>]*>(.*?)</form>', page, re.S
    ):
        action, inner = match.groups()
        fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', inner))
        button = re.search(r"<button[^>]*>(.*?)</button>", inner, re.S)
        found.append(
            {
                "action": action,
                "fields": {k: unescape(v) for k, v in fields.items()},
                "label": unescape(button.group(1)) if button else None,
            }
        )
    return found  # fmt: skip


def mine(page: str) -> list[str]:
    """The friend's own bubbles, top to bottom."""
    return [
        unescape(m)
        for m in re.findall(r'<div class="msg bubble text mine">(.*?)</div>', page, re.S)
    ]


def events(receiver) -> list[dict]:
    return [e for _, raw in receiver.requests for e in json.loads(raw)["events"]]


async def test_options_are_forms_that_post_the_friends_action(client, state):
    await befriend(client, user(1))
    await push(client, user(1), [CARD, FLEX, SURVEY])
    page = (await client.get(f"/emulator/chat/{user(1)}")).text
    base = f"/emulator/chat/{user(1)}"
    assert forms(page) == [
        {"action": f"{base}/postback", "fields": {"data": "book=yes", "display_text": "Yes <b>!</b>"},
         "label": "Yes"},
        {"action": f"{base}/message", "fields": {"text": "no thanks"}, "label": "No"},
        {"action": f"{base}/postback", "fields": {"data": "rate=5"}, "label": "Rate us"},
        {"action": f"{base}/postback", "fields": {"data": "q=1&a=tea", "display_text": "Tea, please"},
         "label": "Tea"},
        {"action": f"{base}/postback", "fields": {"data": "q=1&a=-"}, "label": "Skip"},
        {"action": f"{base}/message", "fields": {"text": "coffee"}, "label": "Coffee"},
        {"action": f"{base}/postback", "fields": {"data": "birthday"}, "label": "Birthday"},
    ]  # fmt: skip
    assert "Yes &lt;b&gt;!&lt;/b&gt;" in page and "<b>!</b>" not in page
    picker = re.search(r'<input type="date" name="date"[^>]*>', page).group(0)
    assert 'value="2000-01-01"' in picker and 'max="2026-12-31"' in picker
    assert re.search(
        r'<a class="action chip" href="https://shop.example.com/m"[^>]*>Menu</a>', page
    )
    composer = re.search(r'<form class="composer".*?</form>', page, re.S).group(0)
    assert f'action="{base}/message"' in composer and 'name="text"' in composer
    assert "disabled" not in composer


async def test_tapping_a_postback_sends_it_and_shows_the_display_text(client, state, receiver):
    await befriend(client, user(2))
    await push(client, user(2), [SURVEY])
    receiver.requests.clear()
    answer = await client.post(
        f"/emulator/chat/{user(2)}/postback",
        data={"data": "q=1&a=tea", "display_text": "Tea, please"},
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/emulator/chat/{user(2)}?event=postback&webhook=200"
    (event,) = events(receiver)
    assert event["type"] == "postback" and event["postback"] == {"data": "q=1&a=tea"}
    assert event["source"] == {"type": "user", "userId": user(2)}

    page = (await client.get(answer.headers["location"])).text
    assert "Sent a signed postback webhook to the bot: HTTP 200" in page
    assert mine(page) == ["Tea, please"]
    assert 'data-sent="postback" data-postback="q=1&amp;a=tea"' in page
    assert 'class="quick-reply"' not in page  # LINE hides the options once one is tapped
    assert "autofocus" in page
    friends = chatscreen.friend_rows(state)
    assert friends[0].preview == "Tea, please" and friends[0].received == 1


async def test_a_postback_without_display_text_is_a_faint_note(client, state, receiver):
    await befriend(client, user(3))
    await push(client, user(3), [SURVEY])
    answer = await client.post(f"/emulator/chat/{user(3)}/postback", data={"data": "q=1&a=-"})
    assert answer.status_code == 303
    page = (await client.get(f"/emulator/chat/{user(3)}")).text
    assert mine(page) == []
    assert re.search(
        r'class="tapped"[^>]*>\s*Tapped an option: postback <code>q=1&amp;a=-</code>', page
    )
    assert events(receiver)[-1]["postback"] == {"data": "q=1&a=-"}


async def test_a_datetime_picker_sends_its_params(client, state, receiver):
    await befriend(client, user(4))
    answer = await client.post(
        f"/emulator/chat/{user(4)}/postback", data={"data": "birthday", "date": "1990-05-17"}
    )
    assert answer.status_code == 303
    assert events(receiver)[-1]["postback"] == {
        "data": "birthday",
        "params": {"date": "1990-05-17"},
    }
    assert state.friend_messages[-1].params == {"date": "1990-05-17"}


async def test_a_deprecated_postback_text_is_sent_as_a_message_too(client, state, receiver):
    await befriend(client, user(5))
    receiver.requests.clear()
    await client.post(f"/emulator/chat/{user(5)}/postback", data={"data": "x=1", "text": "Yes"})
    sent = events(receiver)
    assert [e["type"] for e in sent] == ["message", "postback"]
    assert sent[0]["message"]["text"] == "Yes" and sent[1]["postback"] == {"data": "x=1"}
    assert mine((await client.get(f"/emulator/chat/{user(5)}")).text) == ["Yes"]


async def test_typing_a_message_sends_it_and_draws_it_on_the_right(client, state, receiver):
    await befriend(client, user(6))
    await push(client, user(6), [text("Hello!")])
    for typed in ("Hi <there>", "When do you open?"):
        answer = await client.post(f"/emulator/chat/{user(6)}/message", data={"text": typed})
        assert (
            answer.status_code == 303 and "event=message&webhook=200" in answer.headers["location"]
        )
    assert [e["message"]["text"] for e in events(receiver) if e["type"] == "message"] == [
        "Hi <there>",
        "When do you open?",
    ]
    page = (await client.get(f"/emulator/chat/{user(6)}")).text
    assert mine(page) == ["Hi <there>", "When do you open?"]
    assert "Hi &lt;there&gt;" in page
    assert page.index("Hello!") < page.index("Hi &lt;there&gt;")
    assert chatscreen.friend_rows(state)[0].preview == "When do you open?"


async def test_blank_unknown_and_blocked_are_refused_with_a_clear_page(client, state, receiver):
    await befriend(client, user(7))
    receiver.requests.clear()
    blank = await client.post(f"/emulator/chat/{user(7)}/message", data={"text": "   "})
    assert blank.status_code == 422 and "text must not be blank" in blank.text
    long = await client.post(f"/emulator/chat/{user(7)}/message", data={"text": "x" * 5001})
    assert long.status_code == 422 and "at most 5000 characters" in long.text
    unknown = await client.post(f"/emulator/chat/{user(8)}/message", data={"text": "hi"})
    assert unknown.status_code == 404 and f"No user {user(8)}" in unknown.text
    malformed = await client.post("/emulator/chat/nobody/postback", data={"data": "x"})
    assert malformed.status_code == 422

    await client.post(f"/emulator/users/{user(7)}/unfollow")
    await push(client, user(7), [SURVEY])
    receiver.requests.clear()
    for path, data in (("message", {"text": "hi"}), ("postback", {"data": "q=1&a=tea"})):
        blocked = await client.post(f"/emulator/chat/{user(7)}/{path}", data=data)
        assert blocked.status_code == 409
        assert "has blocked the account" in blocked.text and 'role="alert"' in blocked.text
    assert receiver.requests == [] and state.friend_messages == []

    page = (await client.get(f"/emulator/chat/{user(7)}")).text
    composer = re.search(r'<form class="composer".*?</form>', page, re.S).group(0)
    assert "Unblock the account to send messages" in composer and composer.count("disabled") == 2
    assert forms(page) == []  # a blocked friend taps nothing


async def test_the_live_poll_sees_the_friends_messages(client, state):
    await befriend(client, user(9))
    first = (await client.get("/emulator/chat/updates", params={"user_id": user(9)})).json()
    await client.post(f"/emulator/users/{user(9)}/message", json={"text": "ping"})
    update = (
        await client.get(
            "/emulator/chat/updates", params={"user_id": user(9), "since": first["stamp"]}
        )
    ).json()
    assert update["stamp"] != first["stamp"]
    assert mine(update["conversation"]) == ["ping"]
    assert "ping" in update["friends"]


async def test_the_linked_rich_menu_is_named_and_its_areas_are_tappable(client, state, receiver):
    await befriend(client, user(10))
    page = (await client.get(f"/emulator/chat/{user(10)}")).text
    assert "Rich menu:" not in page and "rich-menu-bar" not in page
    before = chatscreen.stamp(state)
    state.rich_menus["richmenu-0123"] = {
        "richMenuId": "richmenu-0123",
        "name": "Members <VIP>",
        "areas": [
            {"bounds": {"x": 0, "y": 0, "width": 1250, "height": 843},
             "action": {"type": "postback", "label": "Points", "data": "menu=points"}},
            {"bounds": {"x": 1250, "y": 0, "width": 1250, "height": 843},
             "action": {"type": "uri", "label": "Shop", "uri": "https://shop.example.com/"}},
        ],
    }  # fmt: skip
    state.rich_menu_links[user(10)] = "richmenu-0123"
    assert chatscreen.stamp(state) != before  # the live poll redraws the chat
    page = (await client.get(f"/emulator/chat/{user(10)}")).text
    assert "Rich menu: Members &lt;VIP&gt;" in page
    bar = re.search(r'<div class="rich-menu-bar".*?</div>', page, re.S).group(0)
    assert forms(bar) == [
        {"action": f"/emulator/chat/{user(10)}/postback", "fields": {"data": "menu=points"},
         "label": "Points"}
    ]  # fmt: skip
    assert 'href="https://shop.example.com/"' in bar
    tapped = await client.post(f"/emulator/chat/{user(10)}/postback", data={"data": "menu=points"})
    assert tapped.status_code == 303
    assert events(receiver)[-1]["postback"] == {"data": "menu=points"}

    state.rich_menu_links[user(10)] = "richmenu-unknown"  # an ID the emulator has no menu for
    page = (await client.get(f"/emulator/chat/{user(10)}")).text
    assert "Rich menu: richmenu-unknown" in page and "rich-menu-bar" not in page
    del state.rich_menu_links[user(10)]
    assert "Rich menu:" not in (await client.get(f"/emulator/chat/{user(10)}")).text
