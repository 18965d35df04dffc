"""The problems the dashboard shows in Japanese (api/dashboard/problem_words.py) while the admin
API keeps answering them in English.

The table-driven test runs real bad inputs through the validators themselves (the definition's,
LINE's message rules, the audience, policy and friend models, the duration and offset readers,
the YAML tab) and checks that every message they say has a Japanese translation. It catches an
English message without one only when an input of tests/api/problem_inputs.py makes it: a new
rule needs its bad input added there as well as its msgid in problem_table.py /
problem_table_forms.py (and a service's message its wording in `SAID`)."""

import re

import pytest

from api.dashboard import i18n
from api.dashboard.problem_words import TABLE, joined, problems, translate
from tests.api.problem_inputs import MESSAGES
from tests.support.dashboard import csrf, operator
from tests.support.stack import ADMIN_TOKEN

JA = i18n.load("ja")
EN = i18n.load("en")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


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
