"""Each kind of step and trigger can be created, edited and previewed from the studio: put in
place by its button or choice, its fields filled by their names, checked clean, saved, and
its messages drawn."""

import json
import re

import pytest

from store.tables import Friend
from tests.studio.test_studio_pages import new_draft
from tests.support.dashboard import csrf, operator
from tests.support.stack import user

FILL = {  # what an operator types into a new step of each kind (its defaults do the rest)
    "message": {"f.text.{p}.messages[0].text": "Hello {displayName}"},
    "wait": {"f.text.{p}.duration": "PT3H"},
    "branch": {"f.text.{p}.branches[0].when.tag": "gold"},
    "split": {"f.int.{p}.arms[0].weight": "70", "f.int.{p}.arms[1].weight": "30"},
    "wait_for": {"f.text.{p}.until.event": "purchase", "f.text.{p}.timeout": "P2D"},
    "survey": {"f.text.{p}.question": "Did you visit?", "f.text.{p}.attribute": "visited"},
    "tag": {"f.list.{p}.add": "vip, gold", "f.list.{p}.remove": "new"},
    "attribute": {"f.attrs.{p}.set": "plan=gold\nlevel=3"},
    "rich_menu": {"f.opt.{p}.link": "richmenu-gold01"},
    "switch": {},  # its scenario is picked below
}
TRIGGERS = {
    "follow": {"f.list.trigger.routes": "flyer, shop"},
    "event": {"f.text.trigger.event": "cart_add"},
    "keyword": {"f.list.trigger.keywords": "coupon, クーポン"},
    "audience": {},  # its audience is picked below
    "date": {"f.text.trigger.attribute": "birthday", "f.text.trigger.at": "09:00"},
}


async def check(client, place: str, **fields: str) -> list[dict]:
    answer = await client.post(f"{place}/check", data={"csrf": csrf(client), **fields})
    assert answer.status_code == 200, answer.text
    return answer.json()["problems"]


async def test_every_step_kind_is_created_edited_and_saved(shared):
    target = await shared.scenario(
        {"name": "Elsewhere", "trigger": {"type": "follow"},
         "steps": [{"id": "x", "type": "wait", "duration": "P1D"}]}
    )  # fmt: skip
    async with operator(shared) as client:
        place = await new_draft(client)
        fields = {"f.text.steps[0].messages[0].text": "Welcome"}
        for index, kind in enumerate(FILL, start=1):
            added = await client.post(
                place, data={"csrf": csrf(client), **fields, "op": f"add:steps:{index}:{kind}"}
            )
            assert added.headers["location"].endswith(f"#at-steps[{index}]")
            fields |= {k.format(p=f"steps[{index}]"): v for k, v in FILL[kind].items()}
        fields["f.text.steps[10].scenario"] = target
        assert await check(client, place, **fields) == []
        page = await client.get(place)
        for kind in FILL:  # each kind's own form is on the page
            assert f'class="studio-step step-{kind}"' in page.text
        saved = await client.post(f"{place}/save", data={"csrf": csrf(client)})
        assert saved.status_code == 303, saved.text
        scenario_id = saved.headers["location"].rsplit("/", 1)[1]
    steps = (await shared.api.get(f"/scenarios/{scenario_id}")).json()["definition"]["steps"]
    assert [s["type"] for s in steps] == ["message", *FILL]
    assert steps[2]["duration"] == "PT3H"
    assert steps[4]["arms"][0]["weight"] == 70
    assert steps[7]["add"] == ["vip", "gold"] and steps[7]["remove"] == ["new"]
    assert steps[8]["set"] == {"plan": "gold", "level": 3}


@pytest.mark.parametrize("kind", list(TRIGGERS))
async def test_every_trigger_kind_is_chosen_edited_and_saved(shared, kind):
    async with operator(shared) as client:
        place = await new_draft(client)
        await client.post(place, data={"csrf": csrf(client), "kind.trigger.trigger": kind})
        fields = {"f.text.steps[0].messages[0].text": "Welcome", **TRIGGERS[kind]}
        if kind == "audience":
            made = await shared.api.post(
                "/audiences", json={"name": "VIP", "kind": "tag", "tag": "vip"}
            )
            fields["f.text.trigger.audience"] = made.json()["id"]
        assert await check(client, place, **fields) == []
        saved = await client.post(f"{place}/save", data={"csrf": csrf(client)})
        assert saved.status_code == 303, saved.text
        scenario_id = saved.headers["location"].rsplit("/", 1)[1]
    trigger = (await shared.api.get(f"/scenarios/{scenario_id}")).json()["definition"]["trigger"]
    assert trigger["type"] == kind


@pytest.mark.parametrize("message", ["text", "sticker", "image", "coupon", "buttons"])
async def test_every_message_type_is_previewed_as_line_draws_it(shared, message):
    async with operator(shared) as client:
        place = await new_draft(client)
        await client.post(
            place, data={"csrf": csrf(client), "kind.message.steps[0].messages[0]": message}
        )
        checked = await client.post(f"{place}/check", data={"csrf": csrf(client)})
        messages = checked.json()["document"]["steps"][0]["messages"]
        kind = "template" if message == "buttons" else message
        assert messages[0]["type"] == kind
        drawn = await client.post(
            "/dashboard/studio/preview",
            data={"csrf": csrf(client), "messages": json.dumps(messages)},
        )
        assert drawn.status_code == 200
        assert f'data-message="{kind}"' in drawn.text


async def test_a_survey_question_is_previewed_for_the_friend_picked(shared):
    """The survey step's form has a preview box, and what its script sends for it (the
    question and options from the checked document) draws the question for the friend, its
    options as quick replies."""
    friend = user(0x5E)
    async with shared.db.session() as session:
        session.add(Friend(user_id=friend, following=True, display_name="Mio", attributes={}))
        await session.commit()
    async with operator(shared) as client:
        place = await new_draft(client)
        await client.post(place, data={"csrf": csrf(client), "op": "add:steps:1:survey"})
        checked = await client.post(
            f"{place}/check",
            data={
                "csrf": csrf(client),
                "f.text.steps[1].question": "Hi {displayName}, come again?",
            },
        )
        step = checked.json()["document"]["steps"][1]
        page = await client.get(place)
        survey = page.text[page.text.index('class="studio-step step-survey"') :]
        assert 'data-preview-step="steps[1]"' in survey.split("</section>")[0]
        drawn = await client.post(
            "/dashboard/studio/preview",
            data={"csrf": csrf(client), "user_id": friend,
                  "survey": json.dumps({"question": step["question"], "options": step["options"]})},
        )  # fmt: skip
    assert drawn.status_code == 200, drawn.text
    assert "Hi Mio, come again?" in drawn.text
    assert re.findall(r'class="action chip"[^>]*>([^<]*)<', drawn.text) == ["Yes", "No"]
