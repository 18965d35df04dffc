"""Rich menus: create, image, list, get, delete; per-user link, unlink and read."""

import pytest
from linebot.v3.messaging import ApiException, AsyncApiClient, AsyncMessagingApi, Configuration

from emulator.richmenus import BAD_USER, NO_IMAGE, NO_RICH_MENU

from .conftest import TOKEN, befriend, user

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def menu(name: str = "members") -> dict:
    return {
        "size": {"width": 2500, "height": 843},
        "selected": False,
        "name": name,
        "chatBarText": "Menu",
        "areas": [
            {
                "bounds": {"x": 0, "y": 0, "width": 2500, "height": 843},
                "action": {"type": "postback", "data": "menu=open"},
            }
        ],
    }


async def create(client, name: str = "members", image: bool = True) -> str:
    answer = await client.post("/v2/bot/richmenu", json=menu(name))
    assert answer.status_code == 200, answer.text
    rich_menu_id = answer.json()["richMenuId"]
    if image:
        uploaded = await client.post(
            f"/v2/bot/richmenu/{rich_menu_id}/content",
            content=PNG,
            headers={"Content-Type": "image/png"},
        )
        assert uploaded.status_code == 200, uploaded.text
    return rich_menu_id


async def test_a_rich_menu_is_created_listed_read_and_deleted(client, state):
    rich_menu_id = await create(client)
    assert rich_menu_id.startswith("richmenu-") and len(rich_menu_id) == 41
    read = (await client.get(f"/v2/bot/richmenu/{rich_menu_id}")).json()
    assert read == menu() | {"richMenuId": rich_menu_id}
    listed = (await client.get("/v2/bot/richmenu/list")).json()
    assert [m["richMenuId"] for m in listed["richmenus"]] == [rich_menu_id]
    assert (await client.delete(f"/v2/bot/richmenu/{rich_menu_id}")).status_code == 200
    assert (await client.get(f"/v2/bot/richmenu/{rich_menu_id}")).status_code == 404


async def test_create_refuses_an_invalid_rich_menu_naming_the_property(client, state):
    bad = menu() | {"chatBarText": "a chat bar text far too long", "size": {"width": 2500}}
    answer = await client.post("/v2/bot/richmenu", json=bad)
    assert answer.status_code == 400
    assert {d["property"] for d in answer.json()["details"]} == {"size.height", "chatBarText"}
    answer = await client.post("/v2/bot/richmenu", json=menu() | {"chatBarText": "x" * 15})
    assert answer.status_code == 400
    assert answer.json()["details"][0]["property"] == "chatBarText"
    assert state.rich_menus == {}


async def test_link_switch_and_unlink_a_users_rich_menu(client, state):
    await befriend(client, user(1))
    first, second = await create(client, "a"), await create(client, "b")
    assert (await client.post(f"/v2/bot/user/{user(1)}/richmenu/{first}")).status_code == 200
    assert (await client.get(f"/v2/bot/user/{user(1)}/richmenu")).json() == {"richMenuId": first}
    await client.post(f"/v2/bot/user/{user(1)}/richmenu/{second}")
    assert (await client.get("/emulator/richmenus/links")).json() == {user(1): second}

    assert (await client.delete(f"/v2/bot/user/{user(1)}/richmenu")).status_code == 200
    none = await client.get(f"/v2/bot/user/{user(1)}/richmenu")
    assert none.status_code == 404 and none.json()["message"] == NO_RICH_MENU
    assert state.rich_menu_links == {}


async def test_link_refusals_as_line_documents_them(client, state):
    await befriend(client, user(1))
    rich_menu_id = await create(client)
    unknown_menu = await client.post(f"/v2/bot/user/{user(1)}/richmenu/richmenu-{'0' * 32}")
    assert (unknown_menu.status_code, unknown_menu.json()) == (404, {"message": "Not found"})
    unknown_user = await client.post(f"/v2/bot/user/{user(9)}/richmenu/{rich_menu_id}")
    assert unknown_user.status_code == 404
    bad_user = await client.post(f"/v2/bot/user/nobody/richmenu/{rich_menu_id}")
    assert (bad_user.status_code, bad_user.json()["message"]) == (400, BAD_USER)
    imageless = await create(client, "no image", image=False)
    answer = await client.post(f"/v2/bot/user/{user(1)}/richmenu/{imageless}")
    assert (answer.status_code, answer.json()["message"]) == (400, NO_IMAGE)
    assert state.rich_menu_links == {}


async def test_deleting_a_rich_menu_unlinks_it(client, state):
    await befriend(client, user(1), user(2))
    rich_menu_id = await create(client)
    for n in (1, 2):
        await client.post(f"/v2/bot/user/{user(n)}/richmenu/{rich_menu_id}")
    await client.delete(f"/v2/bot/richmenu/{rich_menu_id}")
    assert state.rich_menu_links == {}


@pytest.fixture
async def line(base_url):
    async with AsyncApiClient(Configuration(host=base_url, access_token=TOKEN)) as api_client:
        yield AsyncMessagingApi(api_client)


async def test_the_sdk_links_and_unlinks(line, client, state):
    await befriend(client, user(1))
    rich_menu_id = await create(client)
    await line.link_rich_menu_id_to_user(user(1), rich_menu_id)
    assert (await line.get_rich_menu_id_of_user(user(1))).rich_menu_id == rich_menu_id
    await line.unlink_rich_menu_id_from_user(user(1))
    with pytest.raises(ApiException) as caught:
        await line.get_rich_menu_id_of_user(user(1))
    assert caught.value.status == 404
