"""The chat view's times, list and conversation alike, are in the channel's zone (STEPLINE_TIMEZONE,
Asia/Tokyo by default — not the machine's), and the page names that zone."""

import re

from tests.emulator.conftest import befriend, push, text, user

# the emulator's fake clock starts at 2026-05-28 20:26:40 UTC


def list_times(page: str) -> list[tuple[str, str, str]]:
    """Each chat-list row's time: (datetime attribute, title, shown), in order."""
    return re.findall(r'<time class="when" datetime="([^"]+)" title="([^"]+)">([^<]+)</time>', page)


async def test_the_chat_list_shows_times_in_tokyo_by_default_and_names_it(
    client, state, monkeypatch
):
    monkeypatch.delenv("STEPLINE_TIMEZONE", raising=False)
    monkeypatch.setenv("TZ", "America/Los_Angeles")  # the machine's zone does not matter
    await befriend(client, user(1), user(2))
    await push(client, user(1), [text("hello")])

    page = (await client.get("/emulator/chat")).text
    assert '<h2 class="list-title">Chats <span class="zone">· times in JST (Asia/Tokyo)' in page
    when = "2026-05-29T05:26:40+09:00"
    shown = (when, "2026-05-29 05:26, times in JST (Asia/Tokyo)", "05:26")
    assert list_times(page) == [shown]  # user(2) has no message: no time
    assert '<span class="when"></span>' in page

    # the open chat shows the same time under the same zone
    chat = (await client.get(f"/emulator/chat/{user(1)}")).text
    assert '<span class="zone">times in JST (Asia/Tokyo)</span>' in chat
    assert list_times(chat) == [shown]
    assert re.search(r'<time datetime="2026-05-29T05:26:40\+09:00">05:26</time>', chat)


async def test_the_chat_list_follows_the_channels_zone(client, state, monkeypatch):
    monkeypatch.setenv("STEPLINE_TIMEZONE", "America/New_York")
    await befriend(client, user(3))
    await push(client, user(3), [text("hello")])
    state.clock.now += 3600
    await client.post(f"/emulator/chat/{user(3)}/message", data={"text": "hi back"})

    page = (await client.get("/emulator/chat")).text
    assert "times in EDT (America/New_York)" in page
    assert "JST" not in page and "Asia/Tokyo" not in page
    # the friend's reply is the row's last moment: 21:26:40 UTC is 17:26 in New York
    assert list_times(page) == [
        (
            "2026-05-28T17:26:40-04:00",
            "2026-05-28 17:26, times in EDT (America/New_York)",
            "17:26",
        )
    ]

    # the live poll's fragment draws the list the same way
    poll = (await client.get("/emulator/chat/updates")).json()
    assert list_times(poll["friends"]) == list_times(page)
