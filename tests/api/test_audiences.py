"""Upload audiences over the admin API, and a branch that asks about one."""

import pytest

from store.tables import Audience, AudienceMember
from tests.api.helpers import count, scenario, text
from tests.support.stack import user


async def members(stack, audience_id: str) -> list[str]:
    async with stack.db.session() as session:
        rows = await session.exec(
            AudienceMember.__table__.select().where(AudienceMember.audience_id == audience_id)
        )
        return sorted(row.user_id for row in rows)


async def test_upload_audience_is_created_with_its_members(shared):
    answer = await shared.api.post(
        "/audiences",
        json={"name": "VIP", "kind": "upload", "user_ids": [user(1), user(2), user(1)]},
    )
    assert answer.status_code == 201
    audience_id = answer.json()["id"]
    assert answer.json() == {"id": audience_id} and audience_id.startswith("aud_")
    assert await members(shared, audience_id) == [user(1), user(2)]
    listed = {a["id"]: a for a in (await shared.api.get("/audiences")).json()}
    assert (listed[audience_id]["name"], listed[audience_id]["kind"]) == ("VIP", "upload")
    assert listed[audience_id]["size"] == 2


@pytest.mark.parametrize(
    "body, path",
    [
        ({"name": "x", "kind": "upload", "user_ids": [user(1), "Ubad", user(2)]}, "user_ids[1]"),
        ({"name": "x", "kind": "upload", "user_ids": [user(1), user(2), 7]}, "user_ids[2]"),
        ({"name": "x", "kind": "lookalike", "user_ids": []}, "kind"),
        ({"name": "x", "user_ids": []}, "kind"),
        ({"name": "", "kind": "upload"}, "name"),
        ({"kind": "upload"}, "name"),
        ({"name": "x", "kind": "upload", "user_ids": "U1"}, "user_ids"),
        ({"name": "x", "kind": "upload", "userIds": [user(1)]}, "userIds"),
    ],
)
async def test_bad_audience_is_422_naming_the_field_and_creates_nothing(shared, body, path):
    before = (await count(shared, Audience), await count(shared, AudienceMember))
    answer = await shared.api.post("/audiences", json=body)
    assert answer.status_code == 422, answer.text
    assert [p["path"] for p in answer.json()["detail"]] == [path]
    assert (await count(shared, Audience), await count(shared, AudienceMember)) == before


async def test_put_members_adds_and_keeps_duplicates_once(shared):
    created = await shared.api.post(
        "/audiences", json={"name": "buyers", "kind": "upload", "user_ids": [user(3)]}
    )
    audience_id = created.json()["id"]
    answer = await shared.api.put(
        f"/audiences/{audience_id}/members", json={"user_ids": [user(3), user(4), user(4)]}
    )
    assert answer.status_code == 200
    body = answer.json()
    assert (body["id"], body["name"], body["kind"], body["size"]) == (
        audience_id,
        "buyers",
        "upload",
        2,
    )
    assert await members(shared, audience_id) == [user(3), user(4)]
    listed = {a["id"]: a["size"] for a in (await shared.api.get("/audiences")).json()}
    assert listed[audience_id] == 2


async def test_put_members_rejects_bad_ids_and_unknown_audiences(shared):
    created = await shared.api.post("/audiences", json={"name": "a", "kind": "upload"})
    audience_id = created.json()["id"]
    bad = await shared.api.put(
        f"/audiences/{audience_id}/members", json={"user_ids": [user(5), "nobody"]}
    )
    assert bad.status_code == 422
    assert [p["path"] for p in bad.json()["detail"]] == ["user_ids[1]"]
    empty = await shared.api.put(f"/audiences/{audience_id}/members", json={"user_ids": []})
    assert empty.status_code == 422
    assert [p["path"] for p in empty.json()["detail"]] == ["user_ids"]
    assert await members(shared, audience_id) == []

    unknown = await shared.api.put("/audiences/aud_nope/members", json={"user_ids": [user(5)]})
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "no audience 'aud_nope'"}
    assert await count(shared, AudienceMember, AudienceMember.user_id == user(5)) == 0


async def test_a_branch_on_an_upload_audience(stack):
    vip, other = user(70), user(71)
    created = await stack.api.post(
        "/audiences", json={"name": "VIP", "kind": "upload", "user_ids": [vip]}
    )
    audience_id = created.json()["id"]
    definition = scenario(
        {
            "id": "split",
            "type": "branch",
            "branches": [
                {"label": "VIP", "when": {"audience": audience_id}, "steps": [text("b", "B")]}
            ],
            "otherwise": [text("c", "C")],
        }
    )
    scenario_id = await stack.scenario(definition)
    for friend in (vip, other):
        await stack.follow(friend)
        assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(vip) == ["B"]
    assert await stack.texts(other) == ["C"]
