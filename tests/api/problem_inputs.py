"""Real bad inputs for tests/api/test_dashboard_problem_words.py: definitions, audiences,
policies and friend values run through the validators themselves, the readers of durations,
offsets and the YAML tab, and what the services say that needs a database to make. `MESSAGES`:
every message they make, by input."""

from typing import Any

from pydantic import TypeAdapter, ValidationError

from app.audience_kinds import AUDIENCE
from app.friend_values import NAME, VALUE
from app.studio.check import NotYaml, from_yaml
from core.linemsg import check_messages
from domain.dates import parse_offset
from domain.durations import period_of
from scenarios.policy import ChannelPolicy
from scenarios.validate import DefinitionError, pydantic_errors, validate_definition

HI = {"type": "text", "text": "hi"}


def doc(*steps: dict, **extra: Any) -> dict:
    message = {"id": "m", "type": "message", "messages": [HI]}
    return {"name": "n", "trigger": {"type": "follow"}, "steps": list(steps) or [message], **extra}


def msg(*messages: Any, **extra: Any) -> dict:
    return {"id": "m", "type": "message", "messages": list(messages), **extra}


def then(step: dict) -> dict:
    return doc(msg(HI), step)


def when(condition: dict) -> dict:
    return then({"id": "b", "type": "branch", "branches": [{"label": "x", "when": condition}]})


BUTTONS = {"type": "buttons", "text": "t", "actions": [{"type": "uri", "label": "l", "uri": "x:"}]}
REPLY = {"type": "action", "action": {"type": "message", "label": "l", "text": "t"}}
DEFINITIONS = {
    "no fields": {},
    "empty name": doc(name=""),
    "long name": doc(name="x" * 300),
    "unknown timezone": doc(timezone="Mars/Base"),
    "unknown trigger": doc(trigger={"type": "nope"}),
    "trigger without type": doc(trigger={}),
    "cap not a number": doc(delivery_cap="abc"),
    "cap zero": doc(delivery_cap=0),
    "cap fraction": doc(delivery_cap=1.5),
    "cap too big": doc(delivery_cap=10**12),
    "reentry not a boolean": doc(reentry="maybe"),
    "on_unblock not allowed": doc(on_unblock="x"),
    "grace in years": doc(resume_grace="P2Y"),
    "grace too long": doc(resume_grace="P400D"),
    "extra field": doc(extra_field=1),
    "no steps": doc(steps=[]),
    "steps not a list": doc(steps="x"),
    "bad step id": doc(msg(HI, id="bad id!")),
    "empty text": doc(msg({"type": "text", "text": ""})),
    "long text": doc(msg({"type": "text", "text": "x" * 5001})),
    "no messages": doc(msg()),
    "six messages": doc(msg(*[HI] * 6)),
    "http image": doc(msg({"type": "image", "originalContentUrl": "http://a", "previewImageUrl": "https://a"})),
    "long image url": doc(msg({"type": "image", "originalContentUrl": "https://" + "a" * 2000, "previewImageUrl": "https://a"})),
    "unknown message type": doc(msg({"type": "bogus"})),
    "message without type": doc(msg({"text": "x"})),
    "text missing": doc(msg({"type": "text"})),
    "text not a string": doc(msg({"type": "text", "text": 5})),
    "message not an object": doc(msg("x")),
    "location latitude": doc(msg({"type": "location", "title": "t", "address": "a", "latitude": "x", "longitude": 1})),
    "quick reply items": doc(msg({**HI, "quickReply": {"items": [REPLY] * 14}})),
    "flex layout": doc(msg({"type": "flex", "altText": "a", "contents": {"type": "bubble", "body": {"type": "box", "layout": "nope", "contents": []}}})),
    "ftp action": doc(msg({"type": "template", "altText": "x", "template": BUTTONS})),
    "coupon id": doc(msg({"type": "coupon", "couponId": "a/b"})),
    "misspelt placeholders": doc(msg({"type": "text", "text": "{displayname} {attribute:} {Attribute:plan} {attribute:" + "n" * 101 + "} {attribute:plan"})),
    "placeholder in host": doc(msg({"type": "text", "text": "see https://{attribute:site}.com"})),
    "bad defaults": doc(msg(HI, defaults={"bad": "x", "displayName": 3})),
    "defaults not an object": doc(msg(HI, defaults=[1])),
    "window clock": doc(msg(HI, window={"start": "25:00", "end": "10:00"})),
    "empty window": doc(msg(HI, window={"start": "10:00", "end": "10:00"})),
    "wait without form": then({"id": "w", "type": "wait"}),
    "wait with both": then({"id": "w", "type": "wait", "duration": "P1D", "until": "2026-12-24T10:00:00+09:00"}),
    "wait too long": then({"id": "w", "type": "wait", "duration": "P400D"}),
    "wait naive": then({"id": "w", "type": "wait", "until": "2026-12-24T10:00:00"}),
    "wait not a moment": then({"id": "w", "type": "wait", "until": "nope"}),
    "wait too far": then({"id": "w", "type": "wait", "until": "2099-12-24T10:00:00+09:00"}),
    "wait date offset": then({"id": "w", "type": "wait", "until": {"attribute": "b", "offset": "x", "at": "99"}}),
    "wait date offset too far": then({"id": "w", "type": "wait", "until": {"attribute": "b", "offset": "P999D"}}),
    "duplicate id": then({"id": "m", "type": "tag", "add": ["x"]}),
    "tag step without tags": then({"id": "t", "type": "tag"}),
    "tag added and removed": then({"id": "t", "type": "tag", "add": ["a"], "remove": ["a"]}),
    "split labels and weights": then({"id": "s", "type": "split", "arms": [{"label": "a", "weight": 0}] * 2}),
    "split weight values": then({"id": "s", "type": "split", "arms": [{"label": "a", "weight": -1}, {"label": "b", "weight": "x"}]}),
    "split one arm": then({"id": "s", "type": "split", "arms": [{"label": "a", "weight": 1}]}),
    "split arms not objects": then({"id": "s", "type": "split", "arms": [1, 2]}),
    "survey": then({"id": "q", "type": "survey", "question": "", "options": [{"label": "a", "value": 1}] * 2, "attribute": "x", "timeout": "P1D"}),
    "rich menu without way": then({"id": "r", "type": "rich_menu"}),
    "rich menu link": then({"id": "r", "type": "rich_menu", "link": "x"}),
    "rich menu unlink false": then({"id": "r", "type": "rich_menu", "unlink": False}),
    "switch not last": doc(msg(HI), {"id": "sw", "type": "switch", "scenario": "x"}, msg(HI, id="m2")),
    "attribute without operator": when({"attribute": "age"}),
    "between reversed": when({"attribute": "age", "between": [5, 1]}),
    "between of three": when({"attribute": "age", "between": [1, 2, 3]}),
    "two operators": when({"attribute": "age", "gte": 1, "lte": 3}),
    "gte not a number": when({"attribute": "age", "gte": "x"}),
    "clicked unknown step": when({"clicked": "zzz"}),
    "unknown condition": when({"foo": "zzz"}),
    "keyword of another event": when({"event": "buy", "keyword": "a"}),
    "match without keyword": when({"event": "message", "match": "exact"}),
    "data of a message": when({"event": "message", "data": "x"}),
    "within in years": when({"event": "message", "within": "P2Y"}),
    "blank keyword": when({"event": "message", "keyword": "  "}),
    "long keyword": when({"event": "message", "keyword": "x" * 101}),
    "added window reversed": doc(trigger={"type": "follow", "added_from": "2026-01-02T00:00:00Z", "added_until": "2026-01-01T00:00:00Z"}),
    "added before year 1": doc(trigger={"type": "follow", "added_from": "0001-01-01T00:00:00+14:00"}),
    "added naive": doc(trigger={"type": "follow", "added_from": "2026-01-01T00:00:00"}),
    "added garbage": doc(trigger={"type": "follow", "added_from": "garbage"}),
    "no keywords": doc(trigger={"type": "keyword", "keywords": []}),
    "keyword match": doc(trigger={"type": "keyword", "keywords": ["x"], "match": "fuzzy"}),
    "event trigger without event": doc(trigger={"type": "event"}),
    "empty audience": doc(trigger={"type": "audience", "audience": ""}),
    "date trigger": doc(trigger={"type": "date", "attribute": "b", "at": "x", "yearly": "q"}),
    "empty exit": doc(exit=[]),
    "empty attribute set": doc({"id": "x", "type": "attribute", "set": {}}),
    "too many steps": doc(*[msg(HI, id=f"m{i}") for i in range(501)]),
}  # fmt: skip
AUDIENCES = [
    {}, {"kind": "x", "name": "n"}, {"kind": "tag", "name": ""}, {"kind": "tag", "name": "n", "tag": "", "zz": 1},
    {"kind": "route", "name": "n", "route": "a b"}, {"kind": "clicked", "name": "n", "step": "s", "within": "x"},
    {"kind": "event", "name": "n", "event": "e", "properties": {"a": [1]}},
    {"kind": "upload", "name": "n", "user_ids": ["x"]}, [1],
]  # fmt: skip
POLICIES = [
    {"max_per_day": "x"}, {"max_per_day": 0}, {"max_per_day": 5000}, {"max_per_day": 1.5},
    {"holiday_country": "jp"}, {"holiday_country": "ZZ"}, {"skip_weekends": "x"},
    {"catch_up_gap": "P2D"}, {"quota_reserve_percent": 95}, {"zz": 1},
    {"message_price_yen": -1}, {"message_price_yen": 1001}, {"message_price_yen": "x"},
    {"message_price_yen": "nan"}, {"free_messages": -1}, {"free_messages": 10**9},
    {"free_messages": 1.5}, {"free_messages": "x"},
    {"quiet_hours": {"start": "x", "end": "10:00"}},
    {"closed_days": ["2026-13-01", "12-32", "2026-12-31/2026-12-01", "2026-01-01/2027-06-01",
                     "12-29/2027-01-03", "x" * 30]},
]  # fmt: skip
# what the services say that needs a database to make (app/lifecycle.py, test_sends.py …),
# as they word it
SAID = [
    "unknown audience 'vip'", "unknown scenario 'scn_x'", "a scenario cannot switch to itself",
    "scenario 'scn_x' has no message step 'm'", "no audience 'aud_x'", "no scenario 'scn_x'",
    "no friend U0123", "U0123 has no tag 'vip'", "no template 'x' (there are: welcome)",
    "no friend who follows the account has the tag 'tester'",
    "more than 50 friends have the tag 'tester': a test goes to at most 50; tag fewer friends",
    "U0123 is not a friend who follows the account", "scenario 'scn_x' has no version 3",
    "version 2 has no step 'x'", "'w' is a wait step: only a message or survey step is sent "
    "alone (`walk: true` tests the whole scenario)", "the scenario has ended; create a new one", "cannot pause a scenario that is draft",
    "give either `step` (one message step) or `walk: true`",
    "give either `tag` or `user_ids` (the test friends)",
    "only a walk (`walk: true`) has waits to shorten",
    "must be between 1 second (PT1S) and 10 minutes (PT10M)",
    "the Idempotency-Key 'k' was used for another test send",
    "3 problem(s) to fix first: steps[0].messages[0].text: must not be empty",
    "version 4 was saved since this draft was opened from version 3: open the scenario again",
    "no draft 'd_x' (saved or discarded already?)", "only upload audiences take members",
    "LINE_CHANNEL_ACCESS_TOKEN is not set: the quota cannot be read from LINE",
    "steps[0].id is nested more than 8 step lists deep",
    "'U1' is not a LINE user ID (U + 32 hex)", "the file holds no user IDs", "user_id is empty",
    "duplicate user_id: already on line 2", "the column name is empty",
    "3 fields, but the header has 2 (a value with a comma must be quoted)",
]  # fmt: skip


def _said(adapter: TypeAdapter | type, value: Any) -> list[str]:
    try:
        adapter.validate_python(value) if isinstance(
            adapter, TypeAdapter
        ) else adapter.model_validate(value)
    except ValidationError as exc:
        return [p["msg"] for p in pydantic_errors(exc, value)]
    return []


def messages() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, data in DEFINITIONS.items():
        try:
            validate_definition(data)
        except DefinitionError as exc:
            found[name] = [problem["msg"] for problem in exc.errors]
    for index, body in enumerate(AUDIENCES):
        found[f"audience {index}"] = _said(AUDIENCE, body)
    for index, body in enumerate(POLICIES):
        found[f"policy {index}"] = _said(ChannelPolicy, body)
    friend = [_said(NAME, ""), _said(NAME, "x" * 101), _said(NAME, 5), _said(VALUE, [1])]
    found["friend values"] = [m for said in friend for m in said]
    found["line messages"] = [p.message for p in check_messages("x") + check_messages([])]
    day = period_of("P1D")
    readers = [("P1D2", period_of), ("P2D", lambda t: period_of(t, day)), ("x", parse_offset),
               ("P999D", parse_offset), ("name: [oops", from_yaml), ("- a list", from_yaml),
               ("x" * 1_000_001, from_yaml)]  # fmt: skip
    for text, reader in readers:
        try:
            reader(text)
            found[f"reading {text[:10]}"] = []
        except (ValueError, NotYaml) as exc:
            found[f"reading {text[:10]}"] = [str(exc)]
    found["services"] = SAID
    return found


MESSAGES = messages()
