"""A friend's postbacks and messages (LINE's webhooks) become events: recorded once however
often LINE delivers them or stepline processes them, and usable at once in triggers (a keyword
starts a scenario), exits and `wait_for`."""

import itertools
import time
from datetime import UTC, datetime

import httpx
import pytest
from sqlmodel import select

from store.tables import Enrollment, Event, Friend, WebhookEvent
from tests.api.helpers import count, enrollment_at, scenario, signed, text
from tests.support.pipeline import process_again
from tests.support.stack import running_stack, user

_ids = itertools.count(1)


def event_id() -> str:
    """A fresh webhookEventId (26 characters, like LINE's ULIDs)."""
    return f"01MSGEVENT{next(_ids):016d}"


def now_ms() -> int:
    return int(time.time() * 1000)


def envelope(kind: str, source: dict, *, webhook_event_id: str, ts: int, **body) -> dict:
    return {
        "type": kind,
        "mode": "active",
        "timestamp": ts,
        "source": source,
        "webhookEventId": webhook_event_id,
        "deliveryContext": {"isRedelivery": False},
        "replyToken": "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA",
        **body,
    }


def postback(user_id: str, data: str, *, params: dict | None = None, **more) -> dict:
    answer = {"data": data, **({"params": params} if params else {})}
    return envelope(
        "postback",
        {"type": "user", "userId": user_id},
        webhook_event_id=more.get("webhook_event_id") or event_id(),
        ts=more.get("ts") or now_ms(),
        postback=answer,
    )


def message(user_id: str | None, content: dict, *, source: dict | None = None, **more) -> dict:
    return envelope(
        "message",
        source or {"type": "user", "userId": user_id},
        webhook_event_id=more.get("webhook_event_id") or event_id(),
        ts=more.get("ts") or now_ms(),
        message={"id": "325708", "quoteToken": "q", **content},
    )


def said(user_id: str | None, words: str, **more) -> dict:
    return message(user_id, {"type": "text", "text": words}, **more)


async def deliver(stack, *events: dict, redelivery: bool = False) -> None:
    """LINE posts the events, signed; wait until stepline has processed them."""
    for event in events:
        event["deliveryContext"] = {"isRedelivery": redelivery}
    body, headers = signed({"destination": "U" + "f" * 32, "events": list(events)})
    async with httpx.AsyncClient(base_url=str(stack.api.base_url)) as client:
        answer = await client.post("/webhooks/line", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    await stack.settle()


async def events_of(stack, user_id: str) -> list[Event]:
    async with stack.db.session() as session:
        statement = select(Event).where(Event.user_id == user_id).order_by(Event.seq)
        return list((await session.exec(statement)).all())


async def processed_cleanly(stack, webhook_event_id: str) -> bool:
    async with stack.db.session() as session:
        row = await session.get(WebhookEvent, webhook_event_id)
    return row is not None and row.processed_at is not None and row.last_error is None


# --- recorded -------------------------------------------------------------------------------


async def test_a_postback_is_recorded_once_with_its_data_params_and_time(stack):
    friend = user(8001)
    await stack.follow(friend)
    tapped = postback(
        friend, "action=coupon&id=7", params={"date": "2026-12-24"}, ts=1_790_000_000_123
    )
    await deliver(stack, tapped)
    await deliver(stack, tapped, redelivery=True)  # LINE delivers it again
    await process_again(stack, tapped["webhookEventId"])  # and a crash made us handle it twice
    (row,) = await events_of(stack, friend)
    assert (row.name, row.properties) == (
        "postback",
        {"data": "action=coupon&id=7", "params": {"date": "2026-12-24"}},
    )
    assert row.occurred_at == datetime.fromtimestamp(1_790_000_000.123, UTC)
    assert row.webhook_event_id == tapped["webhookEventId"]
    assert await processed_cleanly(stack, tapped["webhookEventId"])


async def test_a_text_message_is_recorded_once_with_its_keywords(stack):
    friend = user(8002)
    await stack.follow(friend)
    sent = said(friend, "  ｸｰﾎﾟﾝ　ください！ＣＯＵＰＯＮ、please。 ")
    await deliver(stack, sent)
    await deliver(stack, sent, redelivery=True)
    await process_again(stack, sent["webhookEventId"])
    (row,) = await events_of(stack, friend)
    assert row.name == "message"
    assert row.properties == {
        "type": "text",
        "text": "  ｸｰﾎﾟﾝ　ください！ＣＯＵＰＯＮ、please。 ",
        "keywords": [
            "クーポン ください!coupon、please。",
            "クーポン",
            "ください",
            "coupon",
            "please",
        ],
    }


async def test_a_postback_without_params_records_its_data_only(stack):
    friend = user(8003)
    await stack.follow(friend)
    await deliver(stack, postback(friend, "menu=top"))
    (row,) = await events_of(stack, friend)
    assert row.properties == {"data": "menu=top"}


async def test_a_sticker_or_an_image_is_recorded_with_its_type_only(stack):
    friend = user(8004)
    await stack.follow(friend)
    sticker = {
        "type": "sticker",
        "packageId": "1",
        "stickerId": "1",
        "stickerResourceType": "STATIC",
        "keywords": ["Love"],
        "text": "Just sticker",
    }
    image = {"type": "image", "contentProvider": {"type": "line"}}
    await deliver(stack, message(friend, sticker), message(friend, image))
    rows = await events_of(stack, friend)
    assert [(row.name, row.properties) for row in rows] == [
        ("message", {"type": "sticker"}),
        ("message", {"type": "image"}),
    ]


async def test_a_blocked_friend_s_message_records_nothing(stack):
    friend = user(8005)
    await stack.follow(friend)
    await stack.unfollow(friend)
    sent = said(friend, "クーポン")
    await deliver(stack, sent, postback(friend, "action=coupon"))
    assert await events_of(stack, friend) == []
    assert await processed_cleanly(stack, sent["webhookEventId"])


async def test_a_stranger_s_message_records_nothing(stack):
    stranger = user(8006)  # never followed
    await deliver(stack, said(stranger, "hello"))
    assert await events_of(stack, stranger) == []


async def test_a_group_message_without_a_user_id_is_ignored(stack):
    friend = user(8007)
    await stack.follow(friend)
    group = {"type": "group", "groupId": "Ca56f94637cc4347f90a25382909b24b9"}
    room = {"type": "room", "roomId": "Ra8dbf4673c4c812cd491258042226c99"}
    first, second = said(None, "クーポン", source=group), said(None, "クーポン", source=room)
    await deliver(stack, first, second)
    assert await count(stack, Event) == 0
    assert await processed_cleanly(stack, first["webhookEventId"])
    assert await processed_cleanly(stack, second["webhookEventId"])


GROUP = {"type": "group", "groupId": "Ca56f94637cc4347f90a25382909b24b9"}
ROOM = {"type": "room", "roomId": "Ra8dbf4673c4c812cd491258042226c99"}


async def test_a_friend_s_words_in_a_group_or_a_room_are_not_their_own(stack):
    """LINE names the sender of a group's or a room's message; what they say there is said to
    the group: no keyword enrols them, no survey takes it, nothing joins their timeline."""
    scenario_id = await stack.scenario(KEYWORD_SCENARIO)
    friend = user(8008)
    await stack.follow(friend)
    in_group = said(None, "クーポン", source={**GROUP, "userId": friend})
    in_room = said(None, "coupon", source={**ROOM, "userId": friend})
    tapped = postback(friend, "coupon")
    tapped["source"] = {**ROOM, "userId": friend}
    await deliver(stack, in_group, in_room, tapped)
    assert await events_of(stack, friend) == []
    assert await count(stack, Enrollment) == 0
    assert await stack.texts(friend) == []
    for sent in (in_group, in_room, tapped):  # recorded, with no friend, and done with
        async with stack.db.session() as session:
            row = await session.get(WebhookEvent, sent["webhookEventId"])
        assert row is not None and row.user_id is None and row.processed_at is not None
    timeline = (await stack.api.get(f"/friends/{friend}/timeline")).json()
    assert [entry["kind"] for entry in timeline["entries"]] == ["follow"]
    # the same words in the 1:1 chat are the friend's: enrolled, coupon sent
    await deliver(stack, said(friend, "クーポン"))
    assert (await stack.outcome(scenario_id, friend)).status == "completed"


async def test_an_unfollow_from_a_group_blocks_nobody(stack):
    friend = user(8009)
    await stack.follow(friend)
    left = envelope(
        "unfollow",
        {**GROUP, "userId": friend},
        webhook_event_id=event_id(),
        ts=now_ms(),
    )
    await deliver(stack, left)
    async with stack.db.session() as session:
        row = await session.get(Friend, friend)
    assert row is not None and row.following


# --- journeys react at once -----------------------------------------------------------------

KEYWORD_SCENARIO = {
    "name": "coupon on request",
    "trigger": {"type": "keyword", "keywords": ["coupon", "クーポン"]},
    "steps": [text("coupon", "Here is your coupon")],
}


async def test_a_keyword_enrols_the_friend_and_sends_the_first_message(stack):
    scenario_id = await stack.scenario(KEYWORD_SCENARIO)
    friend = user(8010)
    await stack.follow(friend)
    await deliver(stack, said(friend, "hello"), postback(friend, "coupon"))
    assert await count(stack, Enrollment) == 0  # no keyword, and a postback is no message
    await deliver(stack, said(friend, "ｸｰﾎﾟﾝ ください"))  # half-width: クーポン all the same
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == ["Here is your coupon"]
    # once per friend (no `reentry`): asking again enrols nobody
    await deliver(stack, said(friend, "COUPON please"))
    assert await count(stack, Enrollment) == 1
    assert await stack.texts(friend) == ["Here is your coupon"]


async def test_the_worker_processing_webhooks_enrols_on_a_keyword_too(ts_env, sqlite_url):
    async with running_stack(ts_env, database_url=sqlite_url, webhook_processor="worker") as stack:
        scenario_id = await stack.scenario(KEYWORD_SCENARIO)
        friend = user(8016)
        await stack.follow(friend)
        await deliver(stack, said(friend, "クーポン"))
        assert (await stack.outcome(scenario_id, friend)).status == "completed"
        assert await stack.texts(friend) == ["Here is your coupon"]
        assert [row.name for row in await events_of(stack, friend)] == ["message"]


async def test_an_exact_keyword_wants_the_whole_message(stack):
    scenario_id = await stack.scenario(
        {
            **KEYWORD_SCENARIO,
            "trigger": {"type": "keyword", "keywords": ["Coupon"], "match": "exact"},
        }
    )
    friend = user(8011)
    await stack.follow(friend)
    await deliver(stack, said(friend, "a coupon please"))
    assert await count(stack, Enrollment) == 0
    await deliver(stack, said(friend, " ＣＯＵＰＯＮ "))
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == ["Here is your coupon"]


async def test_a_message_handled_twice_enrols_once_even_with_reentry(stack):
    scenario_id = await stack.scenario({**KEYWORD_SCENARIO, "reentry": True})
    friend = user(8012)
    await stack.follow(friend)
    asked = said(friend, "coupon")
    await deliver(stack, asked)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    await process_again(stack, asked["webhookEventId"])  # over, yet not started again
    assert await count(stack, Enrollment) == 1
    assert await stack.texts(friend) == ["Here is your coupon"]
    await deliver(stack, said(friend, "coupon again"))  # a new message: reentry
    assert await count(stack, Enrollment) == 2
    await stack.until_texts(friend, ["Here is your coupon", "Here is your coupon"])


async def test_an_exit_on_a_keyword_ends_a_waiting_enrollment_at_once(stack):
    scenario_id = await stack.scenario(
        scenario(
            text("welcome", "Welcome"),
            {"id": "w", "type": "wait", "duration": "P7D"},
            text("later", "Later"),
            exit=[{"event": "message", "keyword": "配信停止"}],
        )
    )
    friend = user(8013)
    await stack.follow(friend)
    await enrollment_at(stack, scenario_id, friend, "w")
    await deliver(stack, said(friend, "hello"), said(friend, "配信"))
    await stack.until_status(scenario_id, friend, "waiting", step="w")
    await deliver(stack, said(friend, "もう 配信停止 してください"))
    state = await stack.until_status(scenario_id, friend, "exited")
    assert state.step == "w"
    assert await stack.texts(friend) == ["Welcome"]


async def test_a_wait_for_a_postback_takes_then_at_once(stack):
    scenario_id = await stack.scenario(
        scenario(
            text("welcome", "Welcome"),
            {
                "id": "ask",
                "type": "wait_for",
                "until": {"event": "postback", "data": "answer=yes"},
                "timeout": "P3D",
                "then": [text("thanks", "Thanks!")],
                "on_timeout": [text("nudge", "Still there?")],
            },
        )
    )
    friend = user(8014)
    await stack.follow(friend)
    await stack.until_status(scenario_id, friend, "waiting", step="ask")
    await deliver(stack, postback(friend, "answer=no"), said(friend, "answer=yes"))
    await stack.until_status(scenario_id, friend, "waiting", step="ask")
    await deliver(stack, postback(friend, "answer=yes"))
    await stack.until_texts(friend, ["Welcome", "Thanks!"])
    assert (await stack.outcome(scenario_id, friend)).status == "completed"


async def test_a_branch_reads_keywords_and_postbacks_said_before(stack):
    scenario_id = await stack.scenario(
        {
            **KEYWORD_SCENARIO,
            "steps": [
                {
                    "id": "which",
                    "type": "branch",
                    "branches": [
                        {
                            "label": "asked for the winter sale",
                            "when": {"event": "message", "keyword": "winter", "within": "P1D"},
                            "steps": [text("winter", "Winter coupon")],
                        },
                        {
                            "label": "tapped gold",
                            "when": {"event": "postback", "data": "plan=gold"},
                            "steps": [text("gold", "Gold coupon")],
                        },
                    ],
                    "otherwise": [text("plain", "Coupon")],
                }
            ],
        }
    )
    friend = user(8015)
    await stack.follow(friend)
    await deliver(stack, postback(friend, "plan=gold"), said(friend, "WINTER sale coupon"))
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == ["Winter coupon"]


# --- validation -----------------------------------------------------------------------------

BAD = {
    "no keywords": ({"type": "keyword", "keywords": []}, None, "trigger.keywords"),
    "an empty keyword": (
        {"type": "keyword", "keywords": ["ok", " 　"]},
        None,
        "trigger.keywords[1]",
    ),
    "a keyword over 100 characters": (
        {"type": "keyword", "keywords": ["x" * 101]},
        None,
        "trigger.keywords[0]",
    ),
    "51 keywords": (
        {"type": "keyword", "keywords": [f"k{n}" for n in range(51)]},
        None,
        "trigger.keywords",
    ),
    "an unknown match": (
        {"type": "keyword", "keywords": ["a"], "match": "fuzzy"},
        None,
        "trigger.match",
    ),
    "an empty keyword condition": (
        {"type": "follow"},
        {"event": "message", "keyword": ""},
        "exit[0].keyword",
    ),
    "a long keyword condition": (
        {"type": "follow"},
        {"any": [{"tag": "x"}, {"event": "message", "keyword": "y" * 101}]},
        "exit[0].any[1].keyword",
    ),
    "a keyword on another event": (
        {"type": "follow"},
        {"event": "purchase", "keyword": "coupon"},
        "exit[0].keyword",
    ),
    "data on a message": ({"type": "follow"}, {"event": "message", "data": "a=1"}, "exit[0].data"),
    "match without a keyword": (
        {"type": "follow"},
        {"event": "message", "match": "exact"},
        "exit[0].match",
    ),
}


@pytest.mark.parametrize("trigger, exit_condition, path", BAD.values(), ids=BAD.keys())
async def test_bad_keywords_are_422_naming_the_path(shared, trigger, exit_condition, path):
    definition = {**KEYWORD_SCENARIO, "trigger": trigger}
    if exit_condition is not None:
        definition["exit"] = [exit_condition]
    answer = await shared.api.post("/scenarios", json=definition)
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert [problem["path"] for problem in detail] == [path], detail
    assert detail[0]["msg"]


async def test_keyword_triggers_and_conditions_read_back_as_written(shared):
    definition = {
        **KEYWORD_SCENARIO,
        "exit": [
            {"event": "message", "keyword": "stop", "match": "exact"},
            {"event": "postback", "data": "unsubscribe=1"},
            {"event": "purchase"},
        ],
    }
    created = await shared.api.post("/scenarios", json=definition)
    assert created.status_code == 201, created.text
    stored = (await shared.api.get(f"/scenarios/{created.json()['id']}")).json()["definition"]
    assert stored["trigger"] == {
        "type": "keyword",
        "keywords": ["coupon", "クーポン"],
        "match": "contains",
    }
    assert stored["exit"] == definition["exit"]
