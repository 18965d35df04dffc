"""The dashboard warns where follow scenarios take the same new friends: the scenario list,
a scenario's page and the studio's save page, with a new friend's first-day messages, as
the API's `warnings` say (app/overlaps.py), in English and Japanese; and a studio save of an
unchanged scenario."""

import re

from tests.studio.test_studio_pages import new_draft
from tests.support.dashboard import csrf, operator


def follow(name: str, *texts: str, **trigger) -> dict:
    steps = [
        {"id": f"m{i}", "type": "message", "messages": [{"type": "text", "text": body}]}
        for i, body in enumerate(texts)
    ]
    return {"name": name, "trigger": {"type": "follow", **trigger}, "steps": steps}


def overlaps(page: str) -> str:
    found = re.search(r'<section id="overlaps".*?</section>', page, re.S)
    return " ".join(found.group(0).split()) if found else ""


async def test_the_list_the_page_and_the_save_page_warn(shared):
    one = await shared.scenario(follow("Welcome A", "Hi", "Tips"))
    two = await shared.scenario(follow("Welcome B", "Hello"))
    alone = await shared.scenario(follow("Flyer", "Thanks"), activate=False)
    async with operator(shared) as client:
        listed = overlaps((await client.get("/")).text)
        assert "These follow scenarios take the same new friends:" in listed
        assert f'<a href="/dashboard/scenarios/{one}">Welcome A</a>' in listed
        assert (
            "(2 messages on the first day)" in listed and "(1 message on the first day)" in listed
        )
        assert "A new friend gets 3 messages on their first day." in listed
        assert "Flyer" not in listed  # a draft takes nobody

        page = overlaps((await client.get(f"/dashboard/scenarios/{two}")).text)
        assert f'<a href="/dashboard/scenarios/{one}">Welcome A</a>' in page
        draft_page = overlaps((await client.get(f"/dashboard/scenarios/{alone}")).text)
        assert draft_page.startswith('<section id="overlaps" class="overlaps"> <p class="warning">')
        assert "Once activated" in draft_page and "4 messages" in draft_page

        japanese = await client.get("/", headers={"accept-language": "ja"})
        said = overlaps(japanese.text)
        assert "次の友だち追加シナリオが同じ新しい友だちを受け取ります" in said
        assert "新しい友だちには初日に 3 通のメッセージが届きます。" in said

        place = await new_draft(client)
        await client.post(
            place,
            data={"csrf": csrf(client), "f.text.name": "Studio welcome",
                  "f.text.steps[0].messages[0].text": "Welcome!"},
        )  # fmt: skip
        save = overlaps((await client.get(f"{place}/save")).text)
        assert "Once activated" in save and "Studio welcome (this draft)" in save
        assert "A new friend gets 4 messages on their first day." in save

        await shared.api.post(f"/scenarios/{two}/end")
        page = await client.get(f"/dashboard/scenarios/{two}")
        assert overlaps(page.text) == ""  # ended: it takes nobody


async def test_saving_an_unchanged_scenario_makes_no_version(shared):
    """The studio saves through app/lifecycle.new_version: the same document, no version."""
    scenario_id = await shared.scenario(follow("Unchanged", "Hi"), activate=False)
    async with operator(shared) as client:
        place = await new_draft(client, scenario_id=scenario_id)
        saved = await client.post(f"{place}/save", data={"csrf": csrf(client)})
        assert saved.status_code == 303
        assert saved.headers["location"] == f"/dashboard/scenarios/{scenario_id}"
    read = (await shared.api.get(f"/scenarios/{scenario_id}")).json()
    assert read["version"] == 1
