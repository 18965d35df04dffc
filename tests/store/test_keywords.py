"""Keywords: how a friend's text message and a scenario's keyword are compared (normalised:
full-width/half-width, case, spaces), and message/postback events on record — once per
webhook event, and read by `{event: message, keyword}` / `{event: postback, data}`."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import TypeAdapter

from domain.conditions import Condition
from domain.keywords import keyword_matches, keywords_of, normalise
from store import events
from store.conditions import FriendFacts
from store.tables import Event

CONDITION = TypeAdapter(Condition)
FRIEND = "U" + "a" * 32
AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "given, expected",
    [
        ("ＣＯＵＰＯＮ", "coupon"),  # full-width Latin
        ("Coupon", "coupon"),  # case
        ("ｸｰﾎﾟﾝ", "クーポン"),  # half-width katakana, its voiced marks joined
        ("クーポン", "クーポン"),
        ("１２３４", "1234"),  # full-width digits
        ("  two\u3000 words\n", "two words"),  # ideographic space, runs of spaces, trimmed
        ("STRASSE straße", "strasse strasse"),  # case folded, not only lowered
        ("㈱ステップ", "(株)ステップ"),  # compatibility characters
        ("", ""),
    ],
)
def test_normalise(given, expected):
    assert normalise(given) == expected


def test_keywords_are_the_whole_text_then_its_words_each_once():
    assert keywords_of("クーポン、ください！ＣＯＵＰＯＮ please。「今すぐ」★ coupon") == [
        "クーポン、ください!coupon please。「今すぐ」★ coupon",
        "クーポン",
        "ください",
        "coupon",
        "please",
        "今すぐ",
    ]
    assert keywords_of("Hello") == ["hello"]
    assert keywords_of("e-mail・メール") == ["e-mail・メール", "e", "mail", "メール"]
    assert keywords_of(" \u3000 ") == []


def test_a_long_message_keeps_at_most_a_hundred_words():
    found = keywords_of(" ".join(f"w{n}" for n in range(500)))
    assert len(found) == 101 and found[1:4] == ["w0", "w1", "w2"]


@pytest.mark.parametrize(
    "keyword, text, match, expected",
    [
        ("クーポン", "ｸｰﾎﾟﾝください", None, True),
        ("coupon", "I want a ＣＯＵＰＯＮ!", None, True),
        ("COUPON", "coupon", "contains", True),
        ("coupon", "coupo n", None, False),
        ("クーポン", "くーぽん", None, False),  # hiragana is another word
        ("coupon", " ＣＯＵＰＯＮ ", "exact", True),
        ("coupon", "a coupon", "exact", False),
        ("two  words", "two words please", None, True),
        (" ", "anything", None, False),  # an empty keyword matches nothing
    ],
)
def test_keyword_matches(keyword, text, match, expected):
    assert keyword_matches(keyword, text, match) is expected


async def test_a_webhook_event_is_recorded_once(db):
    recorded = []
    for _ in range(2):  # the webhook event processed again after a crash
        async with db.session() as session:
            recorded.append(
                await events.record_once(
                    session,
                    webhook_event_id="01WEBHOOK0000000000000000A",
                    user_id=FRIEND,
                    name="postback",
                    properties={"data": "a=1"},
                    occurred_at=AT,
                )
            )
            await session.commit()
    (seq, fresh), (again, fresh_again) = recorded
    assert (fresh, fresh_again) == (True, False) and seq == again
    async with db.session() as session:  # events without a webhook event: any number of them
        for name in ("page_view", "page_view"):
            await events.record_event(
                session, user_id=FRIEND, name=name, properties={}, occurred_at=AT
            )
    async with db.reading() as session:
        rows = (await session.exec(Event.__table__.select().order_by(Event.seq))).all()
    assert [(row.name, row.webhook_event_id) for row in rows] == [
        ("postback", "01WEBHOOK0000000000000000A"),
        ("page_view", None),
        ("page_view", None),
    ]
    assert rows[0].seq == seq and rows[0].properties == {"data": "a=1"}


async def test_keyword_and_data_conditions_read_the_recorded_events(db):
    said = {"type": "text", "text": "ＷＩＮＴＥＲ ｾｰﾙ", "keywords": keywords_of("ＷＩＮＴＥＲ ｾｰﾙ")}
    recorded = [
        ("message", said, AT - timedelta(days=2)),
        ("message", {"type": "sticker"}, AT),
        ("postback", {"data": "plan=gold&size=m"}, AT),
        ("keyword", {"text": "セール"}, AT),  # another event's text is not a message
    ]
    seqs = []
    async with db.session() as session:
        for index, (name, properties, occurred_at) in enumerate(recorded):
            seq, _ = await events.record_once(
                session,
                webhook_event_id=f"01WEBHOOK000000000000000{index:02d}",
                user_id=FRIEND,
                name=name,
                properties=properties,
                occurred_at=occurred_at,
            )
            seqs.append(seq)
        await session.commit()

    expectations = [
        ({"event": "message", "keyword": "セール"}, True),
        ({"event": "message", "keyword": "winter"}, True),
        ({"event": "message", "keyword": "Winter セール", "match": "exact"}, True),
        ({"event": "message", "keyword": "winter", "match": "exact"}, False),
        ({"event": "message", "keyword": "セール", "within": "P1D"}, False),  # two days ago
        ({"event": "message", "keyword": "summer"}, False),
        ({"event": "message", "properties": {"type": "sticker"}, "within": "P1D"}, True),
        ({"event": "postback", "data": "plan=gold&size=m"}, True),
        ({"event": "postback", "data": "plan=gold"}, False),  # exact data only
        ({"event": "postback"}, True),
    ]
    async with db.reading() as session:
        for document, expected in expectations:
            facts = FriendFacts(session, FRIEND, at=AT)
            assert await facts.holds(CONDITION.validate_python(document)) is expected, document
        # in an exit: only what was said since the enrollment began (after the first message)
        since = FriendFacts(session, FRIEND, at=AT, events_after=seqs[0])
        winter = CONDITION.validate_python({"event": "message", "keyword": "winter"})
        assert await since.holds(winter) is False
        assert since.inputs == {"event:message keyword=winter": False}
