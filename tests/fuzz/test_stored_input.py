"""What a friend or an operator sends is stored only as something every page can show again:
webhook text with lone surrogates or NUL is kept as U+FFFD (the timeline and the friend's page
answer 200, not 500 for good), and a moment whose UTC equivalent is before year 1 or after
year 9999 is a 422 naming its field wherever the admin API takes one."""

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.api.helpers import signed
from tests.fuzz.checks import assert_refusal
from tests.fuzz.strategies import AWKWARD_STRINGS
from tests.support.stack import user

FRIEND = user(9300)
EDGES = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00Z",
    "0001-01-01T09:00:00+09:00",
    "9999-12-31T23:59:59-12:00",
    "9999-12-31T23:59:59Z",
    "2026-12-06T10:00:00+09:00",
]
moments = st.sampled_from(EDGES)
texts = AWKWARD_STRINGS | st.text(max_size=20) | st.sampled_from(["a\ud800b", "\udfff", "x\x00y"])
_seq = iter(range(10**9))


def _event(kind: str, words: str) -> dict:
    body = {"postback": {"data": words}} if kind == "postback" else {}
    if kind == "message":
        body = {"message": {"id": "1", "type": "text", "text": words, "quoteToken": "q"}}
    return {
        "type": kind,
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": FRIEND},
        "webhookEventId": f"01STORED{next(_seq):018d}",
        "deliveryContext": {"isRedelivery": False},
        "replyToken": "r",
        **body,
    }


async def _deliver(stack, events: list[dict]) -> None:
    # json.dumps writes a lone surrogate as the escape `\ud800`, as any JSON encoder must
    body, headers = signed({"destination": "U" + "f" * 32, "events": events})
    answer = await stack.api.post("/webhooks/line", content=body, headers=headers)
    assert answer.status_code == 200, answer.text


@settings(max_examples=25)
@given(words=st.lists(texts, min_size=1, max_size=3), kind=st.sampled_from(["message", "postback"]))
async def test_webhook_text_of_any_kind_leaves_every_page_readable(fuzzed, words, kind):
    if FRIEND not in fuzzed.emulator.users:
        await fuzzed.follow(FRIEND)
    await _deliver(fuzzed, [_event(kind, text) for text in words])
    await fuzzed.settle()
    timeline = await fuzzed.api.get(f"/friends/{FRIEND}/timeline")
    assert timeline.status_code == 200, timeline.text[:500]
    stored = json.dumps(timeline.json(), ensure_ascii=False)
    assert "\\u0000" not in stored
    stored.encode()  # UTF-8 all through: no lone surrogate came back
    page = await fuzzed.api.get(f"/dashboard/friends/{FRIEND}")
    assert page.status_code == 200, page.text[:500]


OUT_OF_RANGE = {"0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"}


def _answered(answer, field: str, moment: str, ok: tuple[int, ...]) -> None:
    """A moment out of range is a 422 naming the field; any other is taken, or refused as a
    4xx for its own reason (an event in the future), never a 500."""
    if moment in OUT_OF_RANGE:
        assert answer.status_code == 422, answer.text
        assert field in answer.text
    if answer.status_code not in ok:
        assert_refusal(answer)


@settings(max_examples=12)
@given(moment=moments)
async def test_an_event_s_time_out_of_range_is_a_422(fuzzed, moment):
    body = {"user_id": user(9301), "name": "signup", "occurred_at": moment}
    answer = await fuzzed.api.post("/events", json=body)
    _answered(answer, "occurred_at", moment, (201,))


@pytest.fixture(scope="module")
async def draft(fuzzed) -> str:
    steps = [{"id": "w", "type": "wait", "duration": "P1D"}]
    return await fuzzed.scenario(
        {"name": "s", "trigger": {"type": "follow"}, "steps": steps}, activate=False
    )


@pytest.mark.parametrize("field", ["from", "to"])
@pytest.mark.parametrize("moment", EDGES)
async def test_a_stats_period_out_of_range_is_a_422(fuzzed, draft, field, moment):
    answer = await fuzzed.api.get(f"/scenarios/{draft}/stats", params={field: moment})
    _answered(answer, field, moment, (200,))


@pytest.mark.parametrize("moment", EDGES)
async def test_a_follow_period_out_of_range_is_a_422(fuzzed, moment):
    definition = {
        "name": "s",
        "trigger": {"type": "follow", "added_from": moment},
        "steps": [{"id": "w", "type": "wait", "duration": "P1D"}],
    }
    answer = await fuzzed.api.post("/scenarios", json=definition)
    _answered(answer, "trigger.added_from", moment, (201,))
