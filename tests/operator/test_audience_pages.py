"""The audiences pages as a browser without JavaScript uses them: the list with each kind and
size, a new audience of every kind checked by the admin API's own rules (its messages on the
fields), an upload audience's members from a file, and every post with the form token."""

import httpx
import pytest

from app import audiences
from tests.operator.signed_in import csrf, operator, problem_on
from tests.support.stack import user


async def create(client: httpx.AsyncClient, files=None, **form: str) -> httpx.Response:
    return await client.post(
        "/dashboard/audiences", data={"csrf": csrf(client), **form}, files=files
    )


async def created(client: httpx.AsyncClient, files=None, **form: str) -> str:
    answer = await create(client, files, **form)
    assert answer.status_code == 303, answer.text
    return answer.headers["location"].rsplit("/", 1)[1]


async def size_of(stack, audience_id: str) -> int:
    return (await stack.api.get(f"/audiences/{audience_id}")).json()["size"]


async def test_every_kind_is_created_and_listed_with_its_size(shared):
    await shared.api.post(f"/friends/{user(0x701)}/tags", json={"tags": ["vip"]})
    scenario = await shared.api.post(
        "/scenarios",
        json={"name": "S", "trigger": {"type": "follow"},
              "steps": [{"id": "hello", "type": "message", "messages": [{"type": "text", "text": "Hi"}]}]},
    )  # fmt: skip
    scenario_id = scenario.json()["id"]
    async with operator(shared) as client:
        ids = {
            "tag": await created(client, name="VIP", kind="tag", tag="vip", route="ignored"),
            "route": await created(client, name="Flyer", kind="route", route="flyer"),
            "event": await created(
                client, name="Bought", kind="event", event="purchase",
                properties="plan=gold\ncount = 2", within="P7D",
            ),
            "clicked": await created(client, name="Clickers", kind="clicked"),
            "delivered": await created(
                client, name="Got hello", kind="delivered", scenario=scenario_id, step="hello"
            ),
        }  # fmt: skip
        listed = {a["id"]: a for a in (await shared.api.get("/audiences")).json()}
        assert listed[ids["tag"]]["params"] == {"tag": "vip"}  # another kind's field left out
        assert listed[ids["tag"]]["size"] == 1
        assert listed[ids["event"]]["params"] == {
            "event": "purchase", "properties": {"plan": "gold", "count": 2}, "within": "P7D"
        }  # fmt: skip
        assert listed[ids["delivered"]]["params"]["scenario"] == scenario_id
        page = await client.get("/dashboard/audiences")
        assert page.status_code == 200
        for audience_id in ids.values():
            assert f'data-audience="{audience_id}"' in page.text
        one = await client.get(f"/dashboard/audiences/{ids['tag']}")
        assert one.status_code == 200 and 'id="audience-size">1<' in one.text
        assert "members-form" not in one.text  # only an upload audience takes a file


async def test_an_upload_audience_takes_its_members_from_a_file(shared, monkeypatch):
    monkeypatch.setattr(audiences, "CHUNK", 2)  # three chunks of a small file
    lines = f"{user(0x710)}\n{user(0x711)}\n\n{user(0x710)}\n{user(0x712)}\n{user(0x713)}\n"
    async with operator(shared) as client:
        audience_id = await created(
            client, files={"file": ("ids.txt", lines.encode(), "text/plain")},
            name="From a file", kind="upload",
        )  # fmt: skip
        assert await size_of(shared, audience_id) == 4
        running = (await shared.api.get("/operations", params={"limit": 5})).json()
        assert any(op["action"] == "audience" and op["total"] == 4 for op in running)
        csv = f"name,user_id\nA,{user(0x713)}\nB,{user(0x714)}\n".encode()
        added = await client.post(
            f"/dashboard/audiences/{audience_id}/members",
            data={"csrf": csrf(client)}, files={"file": ("ids.csv", csv, "text/csv")},
        )  # fmt: skip
        assert added.status_code == 303
        assert await size_of(shared, audience_id) == 5
        page = await client.get(f"/dashboard/audiences/{audience_id}")
        assert 'id="audience-size">5<' in page.text and "members-form" in page.text


@pytest.mark.parametrize(
    ("form", "field", "said"),
    [
        ({"name": "", "kind": "tag", "tag": "x"}, "name", "at least 1 character"),
        ({"name": "X", "kind": "colour"}, "kind", "must be one of upload, clicked"),
        ({"name": "X"}, "kind", "Field required"),
        ({"name": "X", "kind": "tag"}, "tag", "Field required"),
        ({"name": "X", "kind": "delivered", "step": "hello"}, "scenario", "Field required"),
        ({"name": "X", "kind": "clicked", "step": "hello"}, "scenario", "required with step"),
        ({"name": "X", "kind": "clicked", "scenario": "scn_nope"}, "scenario", "unknown scenario"),
        ({"name": "X", "kind": "route", "route": "a b"}, "route", "String should match pattern"),
        ({"name": "X", "kind": "event", "event": "e", "within": "soon"}, "within", "ISO-8601"),
        ({"name": "X", "kind": "event", "event": "e", "properties": "plan"}, "properties", "name=value"),
        ({"name": "X\x00", "kind": "tag", "tag": "x"}, "name", "NUL"),
    ],
)  # fmt: skip
async def test_bad_input_is_the_form_again_with_the_message_on_its_field(shared, form, field, said):
    async with operator(shared) as client:
        before = len((await shared.api.get("/audiences")).json())
        answer = await create(client, **form)
        assert answer.status_code == 422
        assert said in problem_on(answer.text, field), answer.text
        assert len((await shared.api.get("/audiences")).json()) == before


async def test_the_page_says_what_the_admin_api_says(shared):
    body = {"name": "X", "kind": "event", "event": "e", "within": "P4000D"}
    api = (await shared.api.post("/audiences", json=body)).json()["detail"][0]
    async with operator(shared) as client:
        page = await create(client, **body)
    assert api["path"] == "within"
    assert problem_on(page.text, "within") == api["msg"].replace("'", "&#39;")


async def test_a_bad_file_adds_nobody_and_names_its_lines(shared):
    lines = f"{user(0x720)}\nnot-an-id\n{user(0x721)}\nU123\n".encode()
    async with operator(shared) as client:
        answer = await create(
            client, files={"file": ("ids.txt", lines, "text/plain")}, name="Bad", kind="upload"
        )
        assert answer.status_code == 422
        said = problem_on(answer.text, "file")
        assert "line 2:" in said and "line 4:" in said
        assert not [a for a in (await shared.api.get("/audiences")).json() if a["name"] == "Bad"]
        audience_id = await created(client, name="Empty upload", kind="upload")
        empty = await client.post(
            f"/dashboard/audiences/{audience_id}/members", data={"csrf": csrf(client)}
        )
        assert empty.status_code == 422 and problem_on(empty.text, "file")


async def test_what_is_typed_is_shown_escaped(shared):
    async with operator(shared) as client:
        audience_id = await created(client, name="<script>alert(1)</script>", kind="tag", tag="<b>")
        page = await client.get("/dashboard/audiences")
        assert "<script>alert(1)</script>" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        again = await create(client, name="<i>x</i>", kind="route", route="<i>")
        assert again.status_code == 422 and "<i>x</i>" not in again.text
        assert audience_id


async def test_posts_need_the_form_token_and_unknown_audiences_are_404(shared):
    async with operator(shared) as client:
        refused = await client.post(
            "/dashboard/audiences", data={"name": "X", "kind": "tag", "tag": "t"}
        )
        assert refused.status_code == 403
        tag_audience = await created(client, name="Tagged", kind="tag", tag="t")
        files = {"file": ("ids.txt", user(0x730).encode(), "text/plain")}
        refused = await client.post(f"/dashboard/audiences/{tag_audience}/members", files=files)
        assert refused.status_code == 403
        missing = await client.get("/dashboard/audiences/aud_nope")
        assert missing.status_code == 404 and "no audience" in missing.text
        missing = await client.post(
            "/dashboard/audiences/aud_nope/members", data={"csrf": csrf(client)}, files=files
        )
        assert missing.status_code == 404
        not_upload = await client.post(
            f"/dashboard/audiences/{tag_audience}/members", data={"csrf": csrf(client)}, files=files
        )
        assert not_upload.status_code == 409 and "only upload audiences" in not_upload.text
    async with httpx.AsyncClient(base_url=str(shared.api.base_url)) as stranger:
        away = await stranger.get("/dashboard/audiences")
        assert away.status_code == 303 and away.headers["location"].startswith("/login")
