"""The problems the dashboard shows in Japanese (api/dashboard/problem_words.py) while the admin
API keeps answering them in English.

The table-driven test runs real bad inputs through the validators themselves (the definition's,
LINE's message rules, the audience, policy and friend models, the duration and offset readers,
the YAML tab) and checks that every message they say has a Japanese translation. It catches an
English message without one only when an input below makes it: a new rule needs its bad input
added here as well as its msgid in problem_table.py / problem_table_forms.py."""

import re
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from api.dashboard import i18n
from api.dashboard.problem_words import TABLE, joined, problems, translate
from app.audience_kinds import AUDIENCE
from app.friend_values import NAME, VALUE
from app.studio.check import NotYaml, from_yaml
from core.linemsg import check_messages
from domain.dates import parse_offset
from domain.durations import period_of
from scenarios.policy import ChannelPolicy
from scenarios.validate import DefinitionError, pydantic_errors, validate_definition
from tests.support.dashboard import csrf, operator
from tests.support.stack import ADMIN_TOKEN

JA = i18n.load("ja")
EN = i18n.load("en")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
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
    {"quiet_hours": {"start": "x", "end": "10:00"}},
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


def _messages() -> dict[str, list[str]]:
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
    for text, reader in [("P1D2", period_of), ("P2D", lambda t: period_of(t, period_of("P1D"))),
                         ("x", parse_offset), ("P999D", parse_offset)]:  # fmt: skip
        with pytest.raises(ValueError) as raised:
            reader(text)
        found[f"reading {text}"] = [str(raised.value)]
    for text in ["name: [oops", "- a list", "x" * 1_000_001]:
        with pytest.raises(NotYaml) as raised:
            from_yaml(text)
        found[f"yaml {text[:10]}"] = [str(raised.value)]
    found["services"] = SAID
    return found


MESSAGES = _messages()


@pytest.mark.parametrize("name", MESSAGES)
def test_every_message_a_bad_input_makes_has_japanese(name):
    said = MESSAGES[name]
    assert said, f"{name}: the input made no problem (the rules changed: fix the input)"
    untranslated = [m for m in said if not JAPANESE.search(translate(m, JA))]
    assert not untranslated, f"no Japanese in problem_table*.py for: {untranslated}"
    assert [translate(m, EN) for m in said] == said  # English pages show them as said


def test_the_validators_named_in_the_brief_are_all_exercised():
    everything = {m for said in MESSAGES.values() for m in said}
    assert len(everything) > 120
    used = {msgid for regex, msgid in TABLE if any(regex.fullmatch(m) for m in everything)}
    assert len(used) > 60


@pytest.mark.parametrize(
    ("english", "japanese"),
    [
        ("unknown audience 'vip'", "オーディエンス 'vip' は見つかりません"),
        ("must be at most 5000 characters", "5000 文字以内にしてください"),
        ("version 2 has no step 'x'", "バージョン 2 にステップ 'x' はありません"),
        ("String should have at most 100 characters", "100 文字以内にしてください"),
        ("String should have at least 1 character", "1 文字以上にしてください"),
        ("must be between 1 second (PT1S) and 365 days (P365D)", "1 秒（PT1S）から 365 日（P365D）の間にしてください"),
        ("List should have at least 1 item after validation, not 0", "1 個以上にしてください（0 個です）"),
        ("Input should be 'follow', 'event' or 'date'", "'follow', 'event', 'date' のいずれかにしてください"),
        ("{displayname} is not a placeholder: write {displayName} exactly", "{displayname} は差し込みではありません: {displayName} と正確に書いてください"),
        ("2 problem(s) to fix first: steps[1].window.end: Field required", "先に直す問題が 2 件あります: steps[1].window.end: 必須です"),
        ("Field required", "必須です"),
        ("cannot pause a scenario that is draft", "下書きのシナリオは pause できません"),  # a status as labels.py says it
    ],
)  # fmt: skip
def test_placeholders_are_filled_with_what_the_message_named(english, japanese):
    assert translate(english, JA) == japanese


def test_a_message_no_entry_reads_stays_english():
    for english in ["something nobody wrote a rule for", "unknown audience", ""]:
        assert translate(english, JA) == english
    assert translate("Field required!", JA) == "Field required!"  # the whole message or nothing


def test_joined_problems_and_lists_keep_paths_and_types():
    said = "steps[0].messages[0].text: must not be empty; name: Field required"
    assert joined(said, JA) == "steps[0].messages[0].text: 空欄にはできません; name: 必須です"
    found = [{"path": "name", "msg": "Field required", "type": "missing"}]
    assert problems(found, JA) == [{"path": "name", "msg": "必須です", "type": "missing"}]
    assert problems(found, EN) == found


async def test_the_studio_speaks_japanese_and_the_admin_api_english(shared):
    async with operator(shared) as client:
        opened = await client.post("/dashboard/studio", data={"csrf": csrf(client)})
        place = opened.headers["location"]
        page = await client.get(place, headers={"accept-language": "ja"})
        assert page.status_code == 200
        assert "空欄にはできません" in page.text  # the blank welcome text, on its field
        assert "must not be empty" not in page.text

        english = await client.post(f"{place}/check", data={"csrf": csrf(client)})
        client.cookies.set("stepline_lang", "ja")
        checked = await client.post(f"{place}/check", data={"csrf": csrf(client)})
        assert english.json()["problems"] == [
            {
                "path": "steps[0].messages[0].text",
                "msg": "must not be empty",
                "type": "line_message",
            }
        ]
        assert checked.json()["problems"] == [
            {
                "path": "steps[0].messages[0].text",
                "msg": "空欄にはできません",
                "type": "line_message",
            }
        ]

        refused = await client.post(f"{place}/save", data={"csrf": csrf(client)})
        assert refused.status_code == 409
        assert (
            "先に直す問題が 1 件あります: steps[0].messages[0].text: 空欄にはできません"
            in refused.text
        )

        bad_yaml = await client.post(f"{place}/yaml", data={"csrf": csrf(client), "text": "- a"})
        assert bad_yaml.status_code == 422 and "シナリオ（name、trigger、steps" in bad_yaml.text

        bearer = {"authorization": f"Bearer {ADMIN_TOKEN}", "accept-language": "ja"}
        answer = await shared.api.post(
            "/scenarios", json=checked.json()["document"], headers=bearer
        )
    assert answer.status_code == 422
    assert answer.json()["detail"] == [
        {"path": "steps[0].messages[0].text", "msg": "must not be empty", "type": "line_message"}
    ]


async def test_an_operator_form_shows_the_api_message_in_japanese(shared):
    async with operator(shared) as client:
        client.cookies.set("stepline_lang", "ja")
        answer = await client.post(
            "/dashboard/channel/policy", data={"csrf": csrf(client), "max_per_day": "abc"}
        )
    assert answer.status_code == 422
    assert "整数にしてください（整数として読めません）" in answer.text
    english = await shared.api.put("/channel/policy", json={"max_per_day": "abc"})
    assert english.status_code == 422
    assert "unable to parse string as an integer" in english.text


async def test_an_error_page_quoting_a_service_speaks_japanese(shared):
    async with operator(shared) as client:
        client.cookies.set("stepline_lang", "ja")
        missing = await client.post(
            "/dashboard/scenarios/scn_nothing/pause", data={"csrf": csrf(client)}
        )
        spread = await client.post(
            "/dashboard/scenarios/scn_nothing/resume", data={"csrf": csrf(client), "spread": "P2Y"}
        )
    assert (
        missing.status_code == 404 and "シナリオ &#39;scn_nothing&#39; はありません" in missing.text
    )
    assert spread.status_code == 422 and "ISO-8601 の期間で書いてください" in spread.text
