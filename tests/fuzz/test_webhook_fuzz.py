"""Webhook bodies, LINE's own events mutated and arbitrary bytes, signed with the channel secret
or not: `POST /webhooks/line` answers 200 or 400, never a 5xx; a 400 records nothing, and every
event that was recorded is handled (no event the dispatcher chokes on and retries forever)."""

import json
import secrets
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from store.tables import WebhookEvent
from tests.api.helpers import count, sign
from tests.fuzz.checks import assert_refusal
from tests.fuzz.strategies import AWKWARD_NUMBERS, AWKWARD_STRINGS, encode, json_values, mutated

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "line" / "webhook-all-events.json"
LINE_EVENTS = json.loads(FIXTURE.read_text())["events"]  # every event type of LINE's webhook spec


def mostly(usual: st.SearchStrategy, odd: st.SearchStrategy) -> st.SearchStrategy:
    """A value from `usual`, now and then one from `odd` (one odd value fails a whole body)."""
    return st.builds(
        lambda value, other, dice: other if dice == 9 else value, usual, odd, st.integers(0, 9)
    )


user_ids = mostly(
    st.from_regex(r"U[0-9a-f]{32}", fullmatch=True),
    st.sampled_from(["", "U1", "x" * 300]) | AWKWARD_STRINGS,
)
event_ids = mostly(
    st.uuids().map(lambda uuid: uuid.hex[:26].upper()), st.sampled_from(["", "x" * 300])
)
timestamps = mostly(st.integers(0, 2**41), AWKWARD_NUMBERS)


@st.composite
def line_events(draw) -> dict:
    """One of LINE's events with its own ids, user and time."""
    event = dict(draw(st.sampled_from(LINE_EVENTS)))
    event["webhookEventId"] = draw(event_ids)
    event["timestamp"] = draw(timestamps)
    if event.get("source", {}).get("type") == "user":
        event["source"] = {"type": "user", "userId": draw(user_ids)}
    return event


webhooks = st.builds(
    lambda events: {"destination": "U" + "f" * 32, "events": events},
    st.lists(line_events(), max_size=4),
)
line_bodies = webhooks.map(encode) | mutated(webhooks).map(encode)
signatures = st.sampled_from(["good", "none", "empty", "other secret", "garbage"])


def _headers(body: bytes, signature: str) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if signature != "none":
        headers["X-Line-Signature"] = {
            "good": sign(body),
            "empty": "",
            "other secret": sign(body, secret="another-channel-secret"),
            "garbage": "not base64!",
        }[signature]
    return headers


async def _answered_200_or_400(stack, body: bytes, signature: str) -> None:
    before = await count(stack, WebhookEvent)
    # no Authorization header: LINE has none
    answer = await stack.api.post(
        "/webhooks/line", content=body, headers={**_headers(body, signature), "Authorization": ""}
    )
    if answer.status_code == 200:
        assert signature == "good", answer.text
        assert answer.json() == {}
    else:
        assert answer.status_code == 400, answer.text
        assert_refusal(answer)
        assert await count(stack, WebhookEvent) == before


@settings(max_examples=100)
@given(body=line_bodies)
async def test_lines_events_signed_are_answered_200_or_400(fuzzed, body):
    await _answered_200_or_400(fuzzed, body, "good")


@settings(max_examples=80)
@given(body=line_bodies | json_values.map(encode) | st.binary(max_size=200), signature=signatures)
async def test_any_body_signed_or_not_is_answered_200_or_400(fuzzed, body, signature):
    await _answered_200_or_400(fuzzed, body, signature)


async def test_every_recorded_event_was_handled(fuzzed):
    """Run after the fuzzing above (same stack): whatever it recorded, the dispatcher handled
    once and for all, never failing on it."""
    follow = next(event for event in LINE_EVENTS if event["type"] == "follow")
    follow = {**follow, "webhookEventId": secrets.token_hex(13)}
    body = encode({"destination": "U" + "f" * 32, "events": [follow]})
    answer = await fuzzed.api.post("/webhooks/line", content=body, headers=_headers(body, "good"))
    assert answer.status_code == 200, answer.text
    await fuzzed.settle()
    async with fuzzed.db.session() as session:
        events = (await session.exec(select(WebhookEvent))).all()
    assert len(events) > 10  # the fuzzing above recorded events
    failed = [(e.type, e.body, e.last_error) for e in events if e.processed_at is None]
    assert not failed, failed
