"""A friend's attributes and tags changed from their page: the admin API's rules and
messages, the same changes (app/friends.py), a 404 for a friend or a tag that is not there,
and every post with the form token."""

import httpx
import pytest

from tests.operator.signed_in import csrf, operator, problem_on
from tests.support.stack import user

FRIEND = user(0x801)


async def friend(stack, user_id: str = FRIEND) -> dict:
    return (await stack.api.get(f"/friends/{user_id}")).json()


async def post(client: httpx.AsyncClient, part: str, user_id: str = FRIEND, **form: str):
    return await client.post(
        f"/dashboard/friends/{user_id}/{part}", data={"csrf": csrf(client), **form}
    )


@pytest.fixture(autouse=True)
async def known(shared):
    await shared.api.put(f"/friends/{FRIEND}/attributes", json={"plan": "free"})


async def test_attributes_are_added_changed_and_removed(shared):
    async with operator(shared) as client:
        page = await client.get(f"/dashboard/friends/{FRIEND}")
        assert 'id="attribute-form"' in page.text and 'id="tag-form"' in page.text
        added = await post(client, "attributes", name="age", value="27", action="set")
        assert added.status_code == 303
        assert added.headers["location"] == f"/dashboard/friends/{FRIEND}#edit-attributes"
        await post(client, "attributes", name="zip", value="0123", action="set")
        await post(client, "attributes", name="vip", value="TRUE", action="set")
        await post(client, "attributes", name="code", value="27", as_text="true", action="set")
        await post(client, "attributes", name="plan", value="gold", action="set")
        assert (await friend(shared))["attributes"] == {
            "plan": "gold", "age": 27, "zip": "0123", "vip": True, "code": "27"
        }  # fmt: skip
        removed = await post(client, "attributes", name="zip", action="remove")
        assert removed.status_code == 303
        assert "zip" not in (await friend(shared))["attributes"]
        page = await client.get(f"/dashboard/friends/{FRIEND}")
        assert 'data-attribute="age"' in page.text and 'data-attribute="zip"' not in page.text


async def test_tags_are_added_and_removed(shared):
    async with operator(shared) as client:
        for _ in range(2):
            added = await post(client, "tags", tag="vip", action="add")
            assert added.status_code == 303
        assert (await friend(shared))["tags"].count("vip") == 1
        page = await client.get(f"/dashboard/friends/{FRIEND}")
        assert 'data-tag="vip"' in page.text
        removed = await post(client, "tags", tag="vip", action="remove")
        assert removed.status_code == 303 and "vip" not in (await friend(shared))["tags"]
        again = await post(client, "tags", tag="vip", action="remove")
        assert again.status_code == 404 and "has no tag" in again.text


@pytest.mark.parametrize(
    ("part", "form", "field", "api_body"),
    [
        ("attributes", {"name": "", "value": "1"}, "name", None),
        ("attributes", {"name": "n" * 101, "value": "1"}, "name", {"n" * 101: 1}),
        ("attributes", {"name": "x", "value": "a\x00b"}, "value", None),
        ("attributes", {"name": "x", "value": "1", "action": "drop"}, "action", None),
        ("tags", {"tag": "", "action": "add"}, "tag", None),
        ("tags", {"tag": "t" * 101, "action": "add"}, "tag", None),
    ],
)
async def test_bad_input_is_the_form_again_with_the_message_on_its_field(
    shared, part, form, field, api_body
):
    before = await friend(shared)
    async with operator(shared) as client:
        answer = await post(client, part, **form)
    assert answer.status_code == 422
    said = problem_on(answer.text, field)
    assert said, answer.text
    if api_body is not None:  # in the admin API's words
        api = await shared.api.put(f"/friends/{FRIEND}/attributes", json=api_body)
        assert api.status_code == 422 and api.json()["detail"][0]["msg"] == said
    assert (await friend(shared))["attributes"] == before["attributes"]


async def test_unknown_friends_are_404_and_posts_need_the_token(shared):
    async with operator(shared) as client:
        unknown = await post(client, "attributes", user(0x8FF), name="a", value="1")
        assert unknown.status_code == 404
        assert (await shared.api.get(f"/friends/{user(0x8FF)}")).status_code == 404  # not made
        assert (await post(client, "tags", "nobody", tag="a")).status_code == 404
        refused = await client.post(
            f"/dashboard/friends/{FRIEND}/attributes", data={"name": "a", "value": "1"}
        )
        assert refused.status_code == 403
        refused = await client.post(f"/dashboard/friends/{FRIEND}/tags", data={"tag": "a"})
        assert refused.status_code == 403
    assert "a" not in (await friend(shared))["attributes"]


async def test_what_is_typed_is_shown_escaped(shared):
    async with operator(shared) as client:
        await post(client, "attributes", name="<b>n</b>", value="<script>x</script>")
        await post(client, "tags", tag="<i>t</i>", action="add")
        page = await client.get(f"/dashboard/friends/{FRIEND}")
        bad = await post(client, "tags", tag="<u>" * 40, action="add")
    for text in (page.text, bad.text):
        assert "<script>x</script>" not in text and "<i>t</i>" not in text
    assert "&lt;script&gt;x&lt;/script&gt;" in page.text
    assert bad.status_code == 422 and "<u>" not in bad.text
