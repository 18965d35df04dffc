"""Parts the form gives as well as the YAML tab: the goal's properties, an event condition's
keyword `match` and postback `data`, the scenario's `reply_first`. Each is read from its field,
shown again as saved, and a mistake is named on that field with the API's own message."""

import json
import re

from tests.studio.test_studio_pages import new_draft
from tests.support.dashboard import csrf, operator

WELCOME = {"f.text.steps[0].messages[0].text": "Welcome"}


async def _checked(client, place: str, **fields: str) -> tuple[dict, dict[str, str]]:
    """The draft's document after these fields, and its problems by path."""
    answer = await client.post(f"{place}/check", data={"csrf": csrf(client), **fields})
    assert answer.status_code == 200, answer.text
    found = answer.json()
    return found["document"], {p["path"]: p["msg"] for p in found["problems"]}


def _on_field(page: str, path: str) -> list[str]:
    """The problems the page shows on the field of that path (without the script)."""
    listed = re.search(rf'<ul class="problems" data-for="{re.escape(path)}">(.*?)</ul>', page, re.S)
    return re.findall(r"<li>([^<]*)</li>", listed.group(1)) if listed else []


async def _api_problem(shared, document: dict, path: str) -> str:
    """What POST /scenarios says about that path of the same document."""
    answer = await shared.api.post("/scenarios", json=document)
    assert answer.status_code == 422, answer.text
    return next(p["msg"] for p in answer.json()["detail"] if p["path"] == path)


async def _save(client, shared, place: str) -> dict:
    saved = await client.post(f"{place}/save", data={"csrf": csrf(client)})
    assert saved.status_code == 303, saved.text
    scenario_id = saved.headers["location"].rsplit("/", 1)[1]
    return (await shared.api.get(f"/scenarios/{scenario_id}")).json()["definition"]


async def test_the_goals_properties_and_reply_first_from_the_form(shared):
    async with operator(shared) as client:
        place = await new_draft(client)
        page = await client.get(place)
        assert re.search(r'name="f.bool.reply_first" value="on" checked', page.text)  # the default
        await client.post(place, data={"csrf": csrf(client), **WELCOME, "op": "set:goal:goal"})
        assert 'name="f.json.goal.properties"' in (await client.get(place)).text

        document, problems = await _checked(
            client, place, **{"f.json.goal.properties": "sku=A-100"}
        )
        said = await _api_problem(shared, document, "goal.properties")
        assert problems == {"goal.properties": said}
        assert _on_field((await client.get(place)).text, "goal.properties") == [said]

        typed = {"f.json.goal.properties": '{"sku": "A-100", "qty": 2}', "f.bool.reply_first": ""}
        document, problems = await _checked(client, place, **typed)
        assert problems == {}
        assert document["goal"]["properties"] == {"sku": "A-100", "qty": 2}
        assert document["reply_first"] is False
        page = await client.get(place)
        shown = re.search(r'name="f.json.goal.properties"[^>]*>([^<]*)</textarea>', page.text)
        assert json.loads(shown.group(1).replace("&#34;", '"')) == {"sku": "A-100", "qty": 2}
        assert not re.search(r'name="f.bool.reply_first" value="on" checked', page.text)
        definition = await _save(client, shared, place)
    assert definition["goal"] == {"event": "purchase", "within": "P7D",
                                  "properties": {"sku": "A-100", "qty": 2}}  # fmt: skip
    assert definition["reply_first"] is False


async def test_an_event_conditions_keyword_match_and_postback_data_from_the_form(shared):
    async with operator(shared) as client:
        place = await new_draft(client)
        await client.post(place, data={"csrf": csrf(client), **WELCOME, "op": "set:exit:exit"})
        await client.post(place, data={"csrf": csrf(client), "op": "condition:exit:event"})
        page = await client.get(place)
        assert '<select name="f.opt.exit[0].match">' in page.text
        assert 'name="f.opt.exit[1].data"' in page.text

        # a keyword matched exactly; postback data on an event that is not a postback
        typed = {"f.text.exit[0].event": "message", "f.opt.exit[0].keyword": "stop",
                 "f.opt.exit[0].match": "exact", "f.opt.exit[1].data": "menu=1"}  # fmt: skip
        document, problems = await _checked(client, place, **typed)
        assert document["exit"][0] == {"event": "message", "keyword": "stop", "match": "exact"}
        said = await _api_problem(shared, document, "exit[1].data")
        assert problems == {"exit[1].data": said} and "event: postback" in said
        page = await client.get(place)
        assert _on_field(page.text, "exit[1].data") == [said]
        assert '<option value="exact" selected>' in page.text

        # the match without its keyword: named on the match
        document, problems = await _checked(client, place, **{"f.opt.exit[0].keyword": ""})
        assert set(problems) == {"exit[0].match", "exit[1].data"}
        assert problems["exit[0].match"] == await _api_problem(shared, document, "exit[0].match")
        assert _on_field((await client.get(place)).text, "exit[0].match") == [
            problems["exit[0].match"]
        ]

        fixed = {"f.opt.exit[0].keyword": "stop", "f.opt.exit[0].match": "",
                 "f.text.exit[1].event": "postback"}  # fmt: skip
        document, problems = await _checked(client, place, **fixed)
        assert problems == {}
        assert document["exit"] == [
            {"event": "message", "keyword": "stop"},  # "—": contains, the default, left out
            {"event": "postback", "data": "menu=1"},
        ]
        definition = await _save(client, shared, place)
    assert definition["exit"][0]["keyword"] == "stop" and "match" not in definition["exit"][0]
    assert definition["exit"][1] == {"event": "postback", "data": "menu=1"}
