"""The studio as a browser without JavaScript uses it (and the script's check call): open a
draft, change it field by field and button by button, meet problems on their fields, the YAML
tab, save as a scenario or a new version; every post needs the session's form token."""

import asyncio

import httpx

from tests.support.dashboard import csrf, operator
from tests.support.stack import ADMIN_TOKEN


async def new_draft(client: httpx.AsyncClient, **form: str) -> str:
    answer = await client.post("/dashboard/studio", data={"csrf": csrf(client), **form})
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


async def test_a_blank_draft_is_composed_checked_and_saved_as_a_scenario(shared):
    async with operator(shared) as client:
        place = await new_draft(client)
        page = await client.get(place)
        assert page.status_code == 200
        assert 'name="f.text.steps[0].messages[0].text"' in page.text
        assert "problem" in page.text  # the blank welcome text is empty: a problem on its field

        checked = await client.post(
            f"{place}/check",
            data={"csrf": csrf(client), "f.text.name": "Welcome series",
                  "f.text.steps[0].messages[0].text": "Hello {displayName}!"},
        )  # fmt: skip
        assert checked.status_code == 200
        assert checked.json()["problems"] == []
        assert "Welcome series" in checked.json()["yaml"]
        assert "welcome" in checked.json()["graph"]

        added = await client.post(
            place, data={"csrf": csrf(client), "op": "add:steps:1:wait"}, follow_redirects=False
        )
        assert added.status_code == 303
        assert added.headers["location"].endswith("#at-steps[1]")
        added = await client.post(place, data={"csrf": csrf(client), "op": "add:steps:2:message"})
        checked = await client.post(f"{place}/check", data={"csrf": csrf(client)})
        paths = [p["path"] for p in checked.json()["problems"]]
        assert paths == ["steps[2].messages[0].text"]  # the new message's text, on its field

        await client.post(
            place,
            data={"csrf": csrf(client), "f.text.steps[2].messages[0].text": "A coupon for you",
                  "f.opt.steps[2].window.start": "10:00"},
        )  # fmt: skip
        checked = await client.post(f"{place}/check", data={"csrf": csrf(client)})
        assert checked.json()["problems"][0]["path"] == "steps[2].window.end"

        refused = await client.post(f"{place}/save", data={"csrf": csrf(client)})
        assert refused.status_code == 409
        assert "steps[2].window.end" in refused.text

        await client.post(place, data={"csrf": csrf(client), "op": "drop:steps[2].window"})
        saved = await client.post(f"{place}/save", data={"csrf": csrf(client)})
        assert saved.status_code == 303
        scenario_id = saved.headers["location"].rsplit("/", 1)[1]
        detail = await client.get(
            f"/scenarios/{scenario_id}", headers={"authorization": f"Bearer {ADMIN_TOKEN}"}
        )
        definition = detail.json()["definition"]
        assert detail.json()["status"] == "draft"
        assert [s["type"] for s in definition["steps"]] == ["message", "wait", "message"]
        assert definition["steps"][0]["messages"][0]["text"] == "Hello {displayName}!"
        gone = await client.get(place)
        assert gone.status_code == 404  # a saved draft is gone


async def test_the_yaml_tab_replaces_the_document_or_says_why_not(shared):
    async with operator(shared) as client:
        place = await new_draft(client, template="follow-up")
        page = await client.get(place, params={"tab": "yaml"})
        assert "友だち追加後のフォローアップ" in page.text
        bad = await client.post(f"{place}/yaml", data={"csrf": csrf(client), "text": "name: [oops"})
        assert bad.status_code == 422
        assert "not valid YAML" in bad.text and "name: [oops" in bad.text
        text = "name: From YAML\ntrigger: {type: follow}\nsteps:\n- {id: a, type: wait, duration: P1D}\n"
        good = await client.post(f"{place}/yaml", data={"csrf": csrf(client), "text": text})
        assert good.status_code == 303
        checked = await client.post(f"{place}/check", data={"csrf": csrf(client)})
        assert checked.json()["problems"] == []
        assert checked.json()["yaml"].startswith("name: From YAML")


async def test_every_post_needs_the_session_form_token(shared):
    async with operator(shared) as client:
        place = await new_draft(client)
        for path, data in [
            ("/dashboard/studio", {}),
            (place, {"op": "add:steps:0:wait"}),
            (f"{place}/check", {}),
            (f"{place}/save", {}),
            (f"{place}/discard", {}),
        ]:
            for token in (None, "0" * 64):
                form = data | ({"csrf": token} if token else {})
                answer = await client.post(path, data=form)
                assert answer.status_code == 403, (path, token)
        assert (await client.get(place)).status_code == 200  # nothing was changed or discarded


async def test_bad_edits_and_unknown_drafts_are_named_not_500(shared):
    async with operator(shared) as client:
        place = await new_draft(client)
        for op in ("add:trigger:0:wait", "explode:steps[0]", "add:steps:x:wait", "delete:steps"):
            answer = await client.post(place, data={"csrf": csrf(client), "op": op})
            assert answer.status_code == 422, op
            assert "does not fit" in answer.text
        answer = await client.post(place, data={"csrf": csrf(client), "f.text.steps[": "x"})
        assert answer.status_code == 422
        assert (await client.get("/dashboard/studio/" + "x" * 22)).status_code == 404
        assert (await client.get("/dashboard/studio/../etc")).status_code == 404
        assert (await client.get(place, params={"tab": "sql"})).status_code == 422
        unknown = await client.post(
            "/dashboard/studio", data={"csrf": csrf(client), "template": "nope"}
        )
        assert unknown.status_code == 404


async def test_a_running_scenario_is_edited_into_a_new_version(shared):
    async with operator(shared) as client:
        place = await new_draft(client)
        await client.post(
            place, data={"csrf": csrf(client), "f.text.steps[0].messages[0].text": "v1"}
        )
        saved = await client.post(f"{place}/save", data={"csrf": csrf(client)})
        scenario_id = saved.headers["location"].rsplit("/", 1)[1]

        place = await new_draft(client, scenario_id=scenario_id)
        page = await client.get(place)
        assert "v1" in page.text
        await client.post(
            place, data={"csrf": csrf(client), "f.text.steps[0].messages[0].text": "v2"}
        )
        confirm = await client.get(f"{place}/save")
        assert confirm.status_code == 200
        saved = await client.post(f"{place}/save", data={"csrf": csrf(client), "migrate": "false"})
        assert saved.status_code == 303
        detail = await client.get(
            f"/scenarios/{scenario_id}", headers={"authorization": f"Bearer {ADMIN_TOKEN}"}
        )
        assert detail.json()["version"] == 2
        assert detail.json()["definition"]["steps"][0]["messages"][0]["text"] == "v2"


async def test_what_is_typed_is_shown_escaped(shared):
    async with operator(shared) as client:
        place = await new_draft(client)
        evil = '<script>alert(1)</script>"'
        await client.post(
            place,
            data={"csrf": csrf(client), "f.text.name": evil, "f.text.steps[0].id": evil},
        )
        page = await client.get(place)
        assert "<script>alert(1)</script>" not in page.text
        assert "&lt;script&gt;" in page.text


async def test_a_draft_left_open_is_found_again_from_the_lists(shared):
    async with operator(shared) as client:
        place = await new_draft(client)
        await client.post(place, data={"csrf": csrf(client), "f.text.name": "Half done"})
        listed = await client.get("/")
        assert f'href="{place}"' in listed.text and "Half done" in listed.text


async def test_a_test_send_from_the_scenario_page_goes_to_the_tagged_testers(shared):
    tester = "U" + "7e57" * 8
    await shared.follow(tester, display_name="Operator")
    tagged = await shared.api.post(f"/friends/{tester}/tags", json={"tags": ["tester"]})
    assert tagged.status_code == 200
    async with operator(shared) as client:
        place = await new_draft(client)
        await client.post(
            place,
            data={"csrf": csrf(client), "f.text.steps[0].messages[0].text": "Hi {displayName}"},
        )
        saved = await client.post(f"{place}/save", data={"csrf": csrf(client)})
        scenario_page = saved.headers["location"]
        page = await client.get(scenario_page)
        assert 'id="send-test"' in page.text and '<option value="welcome">' in page.text
        sends = f"{scenario_page}/test-sends"
        refused = await client.post(sends, data={"mode": "step", "step": "welcome"})
        assert refused.status_code == 403
        for form, field in [
            ({"mode": "step", "step": "nope"}, "step"),
            ({"mode": "walk", "wait_scale": "P1D"}, "wait_scale"),
            ({"mode": "step", "step": "welcome", "tag": "nobody-has-it"}, "tag"),
            ({"mode": "both"}, "mode"),
        ]:
            answer = await client.post(sends, data={"csrf": csrf(client), **form})
            assert answer.status_code == 422, form
            assert f"<code>{field}</code>" in answer.text or field in answer.text
        sent = await client.post(
            sends, data={"csrf": csrf(client), "mode": "step", "step": "welcome"}
        )
        assert sent.status_code == 303
        result = await client.get(sent.headers["location"])
        assert tester in result.text
        await shared.settle()
        for _ in range(100):
            received = await shared.received(tester)
            if received:
                break
            await asyncio.sleep(0.1)
        assert received[-1]["messages"][0]["text"] == "Hi Operator"
        assert (await client.get("/dashboard/test-sends/999999")).status_code == 404
