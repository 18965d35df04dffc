"""Opening a template in the studio when a scenario of its name is there already (issue 20, 5):
the studio says so and offers that scenario — to open, or to activate while it is a draft —
instead of a twin; a second scenario of the template is made only on purpose."""

import re

import httpx

from store import drafts
from tests.studio.test_studio_pages import new_draft
from tests.support.dashboard import csrf, operator

TEMPLATE = "review-request"
PAGE = f"/dashboard/templates/{TEMPLATE}"


async def _named(shared, name: str) -> list[dict]:
    listed = (await shared.api.get("/scenarios")).json()
    return [s for s in listed if s["name"] == name]


async def _open_drafts(shared) -> int:
    async with shared.db.reading() as session:
        return len(await drafts.open_ones(session, None))


async def test_a_template_whose_scenario_exists_offers_it_instead_of_a_twin(shared):
    async with operator(shared) as client:
        place = await new_draft(client, template=TEMPLATE)  # none yet: the studio opens it
        name = re.search(r'name="f.text.name" value="([^"]*)"', (await client.get(place)).text)
        title = name.group(1)
        saved = await client.post(f"{place}/save", data={"csrf": csrf(client)})
        scenario_id = saved.headers["location"].rsplit("/", 1)[1]

        # again: no draft, no twin; the template's page says which scenario is there
        before = await _open_drafts(shared)
        again = await client.post(
            "/dashboard/studio", data={"csrf": csrf(client), "template": TEMPLATE}
        )
        assert again.status_code == 303 and again.headers["location"] == PAGE
        assert await _open_drafts(shared) == before
        page = await client.get(PAGE)
        assert page.status_code == 200
        assert "A scenario of this name is there already" in page.text
        assert f'<a id="open-twin" href="/dashboard/scenarios/{scenario_id}">' in page.text
        assert f'action="/dashboard/scenarios/{scenario_id}/activate"' in page.text
        assert 'id="activate-twin"' in page.text and csrf(client) in page.text
        japanese = await client.get(PAGE, headers={"accept-language": "ja"})
        assert "この名前のシナリオがすでにあります" in japanese.text

        # activated from there: the same scenario runs, and the page now says it is active
        activated = await client.post(
            f"/dashboard/scenarios/{scenario_id}/activate", data={"csrf": csrf(client)}
        )
        assert activated.status_code == 303
        assert [s["status"] for s in await _named(shared, title)] == ["active"]
        page = await client.get(PAGE)
        assert 'id="activate-twin"' not in page.text
        assert "status-active" in page.text and "send its messages twice" in page.text

        # a second one only on purpose: the page's own button, which says what it does
        another = re.search(
            r'<form method="post" action="/dashboard/studio".*?</form>', page.text, re.S
        )
        assert 'name="new" value="true"' in another.group(0)
        assert "Make a second scenario from the template anyway" in another.group(0)
        second = await new_draft(client, template=TEMPLATE, new="true")
        saved = await client.post(f"{second}/save", data={"csrf": csrf(client)})
        assert saved.status_code == 303
    assert sorted(s["status"] for s in await _named(shared, title)) == ["active", "draft"]


async def test_a_template_page_without_a_scenario_opens_it_and_an_unknown_one_is_404(shared):
    async with operator(shared) as client:
        page = await client.get("/dashboard/templates/product-promotion")
        assert page.status_code == 200 and "No scenario of this name yet." in page.text
        assert 'name="new"' not in page.text and 'id="open-template"' in page.text
        assert (await client.get("/dashboard/templates/nope")).status_code == 404
        unknown = await client.post(
            "/dashboard/studio", data={"csrf": csrf(client), "template": "nope", "new": "true"}
        )
        assert unknown.status_code == 404
    async with httpx.AsyncClient(base_url=str(shared.api.base_url)) as signed_out:
        away = await signed_out.get(PAGE)
    assert away.status_code == 303 and away.headers["location"].startswith("/login")
