"""The studio's previews over HTTP: POST /dashboard/studio/preview (a step's messages as LINE
bubbles for a friend) and POST /dashboard/studio/reach (who the scenario would take now); both
need a session and its form token, and a bad field is a 422 naming it, never a 500."""

import json
import re
from contextlib import asynccontextmanager

import httpx

from store.tables import Friend, FriendTag
from tests.support.stack import ADMIN_TOKEN, user

TOKEN = re.compile(r'name="csrf" value="([0-9a-f]{64})"')
PREVIEW, REACH = "/dashboard/studio/preview", "/dashboard/studio/reach"
AOI, REN = user(901), user(902)
HELLO = [{"type": "text", "text": "Hi {displayName} <script>x</script>"}]


@asynccontextmanager
async def operator(stack, *, signed_in: bool = True):
    """A browser (its cookie only) and the form token its pages carry."""
    async with httpx.AsyncClient(base_url=str(stack.api.base_url), timeout=30) as client:
        token = ""
        if signed_in:
            answer = await client.post("/login", data={"token": ADMIN_TOKEN, "next": "/"})
            assert answer.status_code == 303
            token = TOKEN.search((await client.get("/")).text).group(1)
        yield client, token


async def _friends(stack) -> None:
    async with stack.db.session() as session:
        if await session.get(Friend, AOI) is None:
            session.add_all(
                [
                    Friend(
                        user_id=AOI, following=True, display_name="Aoi", attributes={"plan": "gold"}
                    ),
                    Friend(user_id=REN, following=True, display_name="Ren", attributes={}),
                    FriendTag(user_id=REN, tag="vip"),
                ]
            )
            await session.commit()


def _document(**trigger) -> str:
    branch = {
        "id": "b",
        "type": "branch",
        "branches": [{"label": "gold", "when": {"attribute": "plan", "equals": "gold"}}],
        "otherwise": [{"id": "o", "type": "wait", "duration": "P1D"}],
    }
    trigger = trigger or {"type": "follow"}
    return json.dumps({"name": "reach", "trigger": trigger, "steps": [branch]})


async def test_both_need_a_session_and_its_form_token(shared):
    async with operator(shared, signed_in=False) as (client, _):
        for path, form in ((PREVIEW, {"messages": "[]"}), (REACH, {"document": _document()})):
            answer = await client.post(path, data=form)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    async with operator(shared) as (client, _):
        answer = await client.post(PREVIEW, data={"messages": "[]"})
        assert answer.status_code == 403


async def test_the_preview_draws_the_messages_for_the_friend_escaped(shared):
    await _friends(shared)
    async with operator(shared) as (client, token):
        answer = await client.post(
            PREVIEW, data={"csrf": token, "messages": json.dumps(HELLO), "user_id": AOI}
        )
        nobody = await client.post(
            PREVIEW,
            data={
                "csrf": token,
                "messages": json.dumps(HELLO),
                "defaults": '{"displayName": "you"}',
            },
        )
        css = await client.get("/static/dashboard/bubbles.css")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert 'class="line-chat preview"' in answer.text and 'data-message="text"' in answer.text
    assert "Hi Aoi &lt;script&gt;x&lt;/script&gt;" in answer.text and "<script>" not in answer.text
    assert "Hi you" in nobody.text
    assert css.status_code == 200 and ".line-chat .bubble" in css.text


async def test_a_survey_question_is_drawn_as_its_push_carries_it(shared):
    """The question's placeholders filled for the friend, then one quick-reply button per
    option (postbacks, as activities/survey.py makes them); without options, a bare text."""
    await _friends(shared)
    question = {
        "question": "How was it, {displayName}? <b>",
        "options": [{"label": "Great", "value": 5}, {"label": "<i>Meh", "value": 1}],
    }
    async with operator(shared) as (client, token):
        asked = await client.post(
            PREVIEW, data={"csrf": token, "survey": json.dumps(question), "user_id": AOI}
        )
        free = await client.post(
            PREVIEW, data={"csrf": token, "survey": json.dumps({"question": "Any wishes?"})}
        )
    assert asked.status_code == 200, asked.text
    assert 'data-message="text"' in asked.text
    assert "How was it, Aoi? &lt;b&gt;" in asked.text and "<b>" not in asked.text
    chips = re.findall(
        r'<span class="action chip" title="postback: [^"]*">([^<]*)</span>', asked.text
    )
    assert chips == ["Great", "&lt;i&gt;Meh"]
    assert free.status_code == 200 and "Any wishes?" in free.text
    assert "quick-reply" not in free.text


async def test_the_preview_refuses_a_bad_field_naming_it(shared):
    cases = [
        ({"messages": "not json"}, "messages"),
        ({"messages": '{"type": "text"}'}, "messages"),
        ({"messages": '[{"text": "no type"}]'}, "messages[0]"),
        ({"messages": json.dumps(HELLO * 6)}, "messages"),
        ({"messages": "[" * 100_000 + "]" * 100_000}, "messages"),
        ({"messages": "[]", "user_id": "bob"}, "user_id"),
        ({"messages": "[]", "defaults": "[1]"}, "defaults"),
        ({"survey": "[]"}, "survey"),
        ({"survey": '{"question": 3}'}, "survey.question"),
        ({"survey": '{"question": "q", "options": ["Yes"]}'}, "survey.options"),
    ]
    async with operator(shared) as (client, token):
        for form, field in cases:
            answer = await client.post(PREVIEW, data={"csrf": token, **form})
            assert answer.status_code == 422, (form, answer.text[:200])
            assert f'data-field="{field}"' in answer.text, (form, answer.text[:200])


async def test_reach_counts_the_trigger_and_each_branch(shared):
    await _friends(shared)
    async with operator(shared) as (client, token):
        answer = await client.post(REACH, data={"csrf": token, "document": _document()})
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["trigger"] >= 2 and found["exact"] is True
    ways = {way["label"]: way["friends"] for way in found["steps"]["b"]}
    assert set(ways) == {"gold", "otherwise"} and ways["gold"] >= 1
    assert sum(ways.values()) == found["trigger"]


async def test_reach_refuses_a_bad_document_naming_the_field(shared):
    bad_step = json.dumps(
        {"name": "x", "trigger": {"type": "follow"}, "steps": [{"id": "s", "type": "wait"}]}
    )
    cases = [
        ("not json", "document"),
        ("[" * 100_000 + "]" * 100_000, "document"),
        (json.dumps({"name": "x"}), "document.trigger"),
        (bad_step, "document.steps[0]"),
        (_document(type="audience", audience="aud_nope"), "document.trigger.audience"),
    ]
    async with operator(shared) as (client, token):
        for document, field in cases:
            answer = await client.post(REACH, data={"csrf": token, "document": document})
            assert answer.status_code == 422, (document[:80], answer.text[:300])
            assert answer.json()["field"].startswith(field), answer.json()
