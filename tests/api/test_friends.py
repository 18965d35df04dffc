"""Friends over the admin API: read, attributes, tags, route, enrollments."""

import pytest

from store.tables import Friend
from tests.api.helpers import count, scenario, text
from tests.support.stack import user


async def test_unknown_friend_is_404(shared):
    answer = await shared.api.get(f"/friends/{user(900)}")
    assert answer.status_code == 404
    assert answer.json() == {"detail": f"no friend {user(900)}"}


@pytest.mark.parametrize(
    "bad", ["nobody", "U123", "u" + "0" * 32, "U" + "G" * 32, "U" + "A" * 32, "U" + "0" * 33]
)
@pytest.mark.parametrize(
    "method, suffix, body",
    [
        ("GET", "", None),
        ("PUT", "/attributes", {"plan": "gold"}),
        ("POST", "/tags", {"tags": ["vip"]}),
        ("DELETE", "/tags/vip", None),
        ("PUT", "/route", {"route": "qr"}),
    ],
)
async def test_malformed_user_id_is_422_naming_user_id(shared, bad, method, suffix, body):
    before = await count(shared, Friend)
    answer = await shared.api.request(method, f"/friends/{bad}{suffix}", json=body)
    assert answer.status_code == 422, answer.text
    assert [p["path"] for p in answer.json()["detail"]] == ["user_id"]
    assert await count(shared, Friend) == before


async def test_attributes_merge_and_null_removes(shared):
    friend = user(901)
    first = await shared.api.put(
        f"/friends/{friend}/attributes",
        json={"gender": "female", "age": 27, "vip": True, "score": 1.5, "plan": "gold"},
    )
    assert first.status_code == 200
    assert first.json()["attributes"] == {
        "gender": "female",
        "age": 27,
        "vip": True,
        "score": 1.5,
        "plan": "gold",
    }
    # a friend the admin API speaks of first exists, but does not follow yet
    assert (first.json()["following"], first.json()["epoch"], first.json()["route"]) == (
        False,
        0,
        "unknown",
    )
    second = await shared.api.put(
        f"/friends/{friend}/attributes", json={"age": 28, "plan": None, "area": "tokyo"}
    )
    assert second.json()["attributes"] == {
        "gender": "female",
        "age": 28,
        "vip": True,
        "score": 1.5,
        "area": "tokyo",
    }
    async with shared.db.session() as session:
        row = await session.get(Friend, friend)
    assert row.attributes == second.json()["attributes"]
    read = await shared.api.get(f"/friends/{friend}")
    assert read.json()["attributes"] == second.json()["attributes"]


@pytest.mark.parametrize(
    "body, path",
    [
        ({"plan": {"tier": "gold"}}, "plan"),
        ({"age": 27, "tags": ["a", "b"]}, "tags"),
        ({"k" * 101: 1}, "k" * 101),
    ],
    ids=["object", "list", "long key"],
)
async def test_non_scalar_attribute_is_422_naming_the_key_and_changes_nothing(shared, body, path):
    friend = user(902)
    await shared.api.put(f"/friends/{friend}/attributes", json={"plan": "silver"})
    answer = await shared.api.put(f"/friends/{friend}/attributes", json=body)
    assert answer.status_code == 422, answer.text
    assert {p["path"] for p in answer.json()["detail"]} == {path}
    read = await shared.api.get(f"/friends/{friend}")
    assert read.json()["attributes"] == {"plan": "silver"}


async def test_attribute_errors_say_what_a_value_may_be(shared):
    answer = await shared.api.put(f"/friends/{user(902)}/attributes", json={"plan": {"a": 1}})
    assert answer.json() == {
        "detail": [
            {
                "path": "plan",
                "msg": "must be a string, a finite number, true, false or null (to remove it)",
                "type": "attribute_value",
            }
        ]
    }


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
async def test_nan_and_infinity_are_not_json(shared, constant):
    friend = user(909)
    answer = await shared.api.put(
        f"/friends/{friend}/attributes",
        content=f'{{"score": {constant}}}',
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.json()["detail"] == [
        {
            "path": "(body)",
            "msg": f"not valid JSON: {constant} is not a JSON value",
            "type": "json_invalid",
        }
    ]
    assert (await shared.api.get(f"/friends/{friend}")).status_code == 404


async def test_nul_characters_are_refused(shared):
    friend = user(911)
    answer = await shared.api.put(
        f"/friends/{friend}/attributes",
        content='{"plan": "gold\\u0000"}',
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["path"] == "(body)"
    assert "NUL" in answer.json()["detail"][0]["msg"]
    assert (await shared.api.get(f"/friends/{friend}")).status_code == 404


async def test_an_empty_attribute_name_is_422(shared):
    friend = user(910)
    answer = await shared.api.put(f"/friends/{friend}/attributes", json={"": "x"})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["type"] == "string_too_short"
    assert (await shared.api.get(f"/friends/{friend}")).status_code == 404


@pytest.mark.parametrize("body", [[1, 2], "gold", None])
async def test_attributes_must_be_an_object(shared, body):
    answer = await shared.api.put(f"/friends/{user(903)}/attributes", json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["path"] == "(body)"


async def test_tags_add_and_remove(shared):
    friend = user(904)
    added = await shared.api.post(f"/friends/{friend}/tags", json={"tags": ["vip", "trial"]})
    assert added.status_code == 200
    assert added.json()["tags"] == ["trial", "vip"]
    again = await shared.api.post(f"/friends/{friend}/tags", json={"tags": ["vip"]})
    assert again.json()["tags"] == ["trial", "vip"]

    removed = await shared.api.delete(f"/friends/{friend}/tags/trial")
    assert removed.status_code == 200
    assert removed.json()["tags"] == ["vip"]
    gone = await shared.api.delete(f"/friends/{friend}/tags/trial")
    assert gone.status_code == 404
    assert gone.json() == {"detail": f"{friend} has no tag 'trial'"}
    assert (await shared.api.get(f"/friends/{friend}")).json()["tags"] == ["vip"]


async def test_removing_a_tag_of_an_unknown_friend_is_404(shared):
    answer = await shared.api.delete(f"/friends/{user(905)}/tags/vip")
    assert answer.status_code == 404
    assert (await shared.api.get(f"/friends/{user(905)}")).status_code == 404


@pytest.mark.parametrize(
    "body, path",
    [
        ({"tags": []}, "tags"),
        ({"tags": [""]}, "tags[0]"),
        ({"tags": ["x" * 101]}, "tags[0]"),
        ({"tag": "vip"}, "tags"),
        ({"tags": ["vip"], "color": "red"}, "color"),
    ],
)
async def test_bad_tags_are_422(shared, body, path):
    answer = await shared.api.post(f"/friends/{user(906)}/tags", json=body)
    assert answer.status_code == 422
    assert path in [p["path"] for p in answer.json()["detail"]]
    assert (await shared.api.get(f"/friends/{user(906)}")).status_code == 404


async def test_route_is_set(shared):
    friend = user(907)
    answer = await shared.api.put(f"/friends/{friend}/route", json={"route": "qr_code"})
    assert answer.status_code == 200
    assert answer.json()["route"] == "qr_code"
    assert (await shared.api.get(f"/friends/{friend}")).json()["route"] == "qr_code"
    bad = await shared.api.put(f"/friends/{friend}/route", json={"route": "no spaces"})
    assert bad.status_code == 422
    assert [p["path"] for p in bad.json()["detail"]] == ["route"]
    assert (await shared.api.get(f"/friends/{friend}")).json()["route"] == "qr_code"


async def test_friend_view_lists_enrollments(stack):
    first = await stack.scenario(scenario(text("hi", "Hi")))
    second = await stack.scenario(scenario(text("hello", "Hello"), name="other"))
    friend = user(908)
    await stack.follow(friend)
    for scenario_id in (first, second):
        assert (await stack.outcome(scenario_id, friend)).status == "completed"
    view = (await stack.api.get(f"/friends/{friend}")).json()
    assert (view["user_id"], view["following"], view["epoch"]) == (friend, True, 1)
    assert view["followed_at"] is not None and view["blocked_at"] is None
    enrollments = sorted(view["enrollments"], key=lambda e: e["scenario_id"])
    expected = sorted([(first, "hi"), (second, "hello")], key=lambda pair: pair[0])
    assert [
        (e["id"], e["scenario_id"], e["version"], e["status"], e["current_step"])
        for e in enrollments
    ] == [(f"enrollment:{sid}:{friend}:1", sid, 1, "completed", step) for sid, step in expected]
    assert all(e["ended_at"] is not None and e["error"] is None for e in enrollments)
