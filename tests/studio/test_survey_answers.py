"""A survey's answers from the studio's form: options to tap, or free text (no options: the
friend's next text message is the answer) — switched either way by its choice, and reached by
removing the last option too; what is saved is what the form says."""

import re

from tests.studio.test_studio_pages import new_draft
from tests.support.dashboard import csrf, operator

SURVEY = "steps[1]"
FILLED = {  # the welcome and the question: nothing else is needed for it to be saved
    "f.text.steps[0].messages[0].text": "Welcome",
    f"f.text.{SURVEY}.question": "What would you like to see next?",
}


async def _document(client, place: str) -> tuple[dict, list[dict]]:
    checked = await client.post(f"{place}/check", data={"csrf": csrf(client)})
    assert checked.status_code == 200, checked.text
    return checked.json()["document"], checked.json()["problems"]


def _survey_form(page: str) -> str:
    start = page.index('class="studio-step step-survey"')
    return page[start : page.index("</section>", start)]


async def test_a_survey_is_switched_to_free_text_and_back(shared):
    async with operator(shared) as client:
        place = await new_draft(client)
        await client.post(place, data={"csrf": csrf(client), "op": "add:steps:1:survey"})
        page = await client.get(place)
        survey = _survey_form(page.text)
        chosen = re.search(
            rf'<select name="kind.answers.{re.escape(SURVEY)}"[^>]*>(.*?)</select>', survey, re.S
        )
        assert chosen and re.search(r'<option value="options" selected>', chosen.group(1))
        assert f'name="f.text.{SURVEY}.options[1].label"' in survey

        # free text: the option fields posted with the choice do not bring the options back
        form = {"csrf": csrf(client), **FILLED, f"kind.answers.{SURVEY}": "free",
                f"f.text.{SURVEY}.options[0].label": "Yes"}  # fmt: skip
        await client.post(place, data=form)
        document, problems = await _document(client, place)
        assert "options" not in document["steps"][1] and problems == []
        survey = _survey_form((await client.get(place)).text)
        assert ".options[" not in survey and "next text message is the answer" in survey
        assert re.search(r'<option value="free" selected>', survey)

        # and back: options to tap, the usual two to start from
        await client.post(place, data={"csrf": csrf(client), f"kind.answers.{SURVEY}": "options"})
        document, problems = await _document(client, place)
        assert [o["label"] for o in document["steps"][1]["options"]] == ["Yes", "No"]
        assert problems == []

        saved = await client.post(f"{place}/save", data={"csrf": csrf(client)})
        assert saved.status_code == 303, saved.text
        scenario_id = saved.headers["location"].rsplit("/", 1)[1]
    steps = (await shared.api.get(f"/scenarios/{scenario_id}")).json()["definition"]["steps"]
    assert steps[1]["options"] == [{"label": "Yes", "value": "yes"}, {"label": "No", "value": "no"}]


async def test_removing_the_last_option_leaves_free_text_that_can_be_saved(shared):
    async with operator(shared) as client:
        place = await new_draft(client)
        await client.post(place, data={"csrf": csrf(client), "op": "add:steps:1:survey"})
        await client.post(place, data={"csrf": csrf(client), **FILLED})
        for op in (f"delete:{SURVEY}.options[1]", f"delete:{SURVEY}.options[0]"):
            answer = await client.post(place, data={"csrf": csrf(client), "op": op})
            assert answer.status_code == 303, answer.text
        document, problems = await _document(client, place)
        assert "options" not in document["steps"][1]  # not an empty list the checks refuse
        assert problems == []
        assert "next text message is the answer" in _survey_form((await client.get(place)).text)
        saved = await client.post(f"{place}/save", data={"csrf": csrf(client)})
        assert saved.status_code == 303, saved.text
        scenario_id = saved.headers["location"].rsplit("/", 1)[1]
    steps = (await shared.api.get(f"/scenarios/{scenario_id}")).json()["definition"]["steps"]
    assert steps[1]["type"] == "survey" and steps[1].get("options") is None
