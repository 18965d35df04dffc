"""Audiences of the six kinds over the admin API (docs/CONTRACT.md §5), and a branch that asks about one."""

from datetime import timedelta

import httpx
import pytest

from store.tables import Audience, AudienceMember, Click, Delivery, Event, Friend, FriendTag
from store.types import utcnow
from tests.api.helpers import count, scenario, text, wait
from tests.support.pipeline import OperationsSince
from tests.support.stack import user


@pytest.fixture
async def changes(shared) -> OperationsSince:
    return await OperationsSince.now(shared)


async def add_rows(stack, *rows) -> None:
    async with stack.db.session() as session:
        session.add_all(rows)
        await session.commit()


async def create(stack, body: dict) -> str:
    answer = await stack.api.post("/audiences", json=body)
    assert answer.status_code == 201, answer.text
    assert list(answer.json()) == ["id"]
    return answer.json()["id"]


async def two_step_scenario(stack) -> str:
    definition = scenario(text("hello", "Hello"), wait("pause", "P1D"), text("later", "Later"))
    return await stack.scenario(definition, activate=False)


async def members(stack, audience_id: str) -> list[str]:
    async with stack.db.session() as session:
        rows = await session.exec(
            AudienceMember.__table__.select().where(AudienceMember.audience_id == audience_id)
        )
        return sorted(row.user_id for row in rows)


async def test_upload_audience_is_created_with_its_members(shared, changes):
    answer = await shared.api.post(
        "/audiences",
        json={"name": "VIP", "kind": "upload", "user_ids": [user(1), user(2), user(1)]},
    )
    assert answer.status_code == 201
    audience_id = answer.json()["id"]
    assert set(answer.json()) == {"id", "operation"} and audience_id.startswith("aud_")
    operation = answer.json()["operation"]
    assert (operation["action"], operation["total"]) == ("audience", 2)
    assert await members(shared, audience_id) == [user(1), user(2)]
    listed = {a["id"]: a for a in (await shared.api.get("/audiences")).json()}
    assert (listed[audience_id]["name"], listed[audience_id]["kind"]) == ("VIP", "upload")
    assert listed[audience_id]["size"] == 2
    assert listed[audience_id]["params"] == {}
    assert await changes.calls() == [("audience", 2, "done")]  # what it means for journeys
    read = await shared.api.get(f"/audiences/{audience_id}")
    assert read.status_code == 200
    assert read.json() == listed[audience_id]


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
        ({"name": "x", "kind": 5}, "kind"),
        ([{"name": "x", "kind": "tag", "tag": "vip"}], "(body)"),
        ({"name": "x", "kind": "tag"}, "tag"),
        ({"name": "x", "kind": "tag", "tag": ""}, "tag"),
        ({"name": "x", "kind": "tag", "tag": "vip", "user_ids": []}, "user_ids"),
        ({"name": "x", "kind": "route", "route": "a b"}, "route"),
        ({"name": "x", "kind": "route", "route": "qr", "within": "P1D"}, "within"),
        ({"name": "x", "kind": "event"}, "event"),
        ({"name": "x", "kind": "event", "event": "buy", "properties": {"a": [1]}}, "properties.a"),
        ({"name": "x", "kind": "event", "event": "buy", "properties": []}, "properties"),
        ({"name": "x", "kind": "event", "event": "buy", "within": "P1M"}, "within"),
        ({"name": "x", "kind": "clicked", "within": "PT0S"}, "within"),
        ({"name": "x", "kind": "clicked", "within": "P3651D"}, "within"),
        ({"name": "x", "kind": "clicked", "within": 7}, "within"),
        ({"name": "x", "kind": "clicked", "step": "hello"}, "scenario"),
        ({"name": "x", "kind": "clicked", "scenario": "scn_x", "stepId": "a"}, "stepId"),
        ({"name": "x", "kind": "delivered", "scenario": "scn_x"}, "step"),
        ({"name": "x", "kind": "delivered", "step": "hello"}, "scenario"),
    ],
)
async def test_bad_audience_is_422_naming_the_field_and_creates_nothing(shared, body, path):
    before = (await count(shared, Audience), await count(shared, AudienceMember))
    answer = await shared.api.post("/audiences", json=body)
    assert answer.status_code == 422, answer.text
    assert [p["path"] for p in answer.json()["detail"]] == [path]
    assert (await count(shared, Audience), await count(shared, AudienceMember)) == before


async def test_put_members_adds_and_keeps_duplicates_once(shared, changes):
    created = await shared.api.post(
        "/audiences", json={"name": "buyers", "kind": "upload", "user_ids": [user(3)]}
    )
    audience_id = created.json()["id"]
    answer = await shared.api.put(
        f"/audiences/{audience_id}/members", json={"user_ids": [user(3), user(4), user(4)]}
    )
    assert answer.status_code == 202  # members stored; what they mean for journeys follows
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
    # membership changed for these friends: audience triggers are told, once each
    assert body["operation"]["url"] == f"/operations/{body['operation']['id']}"
    assert await changes.calls() == [("audience", 1, "done"), ("audience", 2, "done")]


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


async def test_every_kind_is_created_and_sized_from_our_data(shared, changes):
    scenario_id = await two_step_scenario(shared)
    now = utcnow()
    hour, day = timedelta(hours=1), timedelta(days=1)
    u = [user(100 + n) for n in range(8)]

    def click(user_id, step, at):
        eid = f"enrollment:{scenario_id}:{user_id}:1"
        return Click(
            token=f"{user_id}{step}", enrollment_id=eid, scenario_id=scenario_id,
            step_id=step, user_id=user_id, clicked_at=at,
        )  # fmt: skip

    def delivery(user_id, at):
        eid = f"enrollment:{scenario_id}:{user_id}:1"
        return Delivery(
            enrollment_id=eid, step_id="hello", scenario_id=scenario_id, user_id=user_id,
            retry_key=eid, status="sent", sent_at=at,
        )  # fmt: skip

    await add_rows(
        shared,
        click(u[0], "hello", now - hour),
        click(u[1], "later", now - 10 * day),
        delivery(u[0], now - hour),
        delivery(u[2], now - 2 * day),
        FriendTag(user_id=u[3], tag="kinds-vip"),
        FriendTag(user_id=u[4], tag="kinds-vip"),
        Friend(user_id=u[5], route="kinds-qr"),
        Event(user_id=u[6], name="kinds_buy", properties={"age": "27"}, occurred_at=now),
        Event(user_id=u[7], name="kinds_buy", properties={"age": 30}, occurred_at=now - 2 * day),
    )
    bodies = {
        "clicked-scenario": ({"kind": "clicked", "scenario": scenario_id}, 2),
        "clicked-step": (
            {"kind": "clicked", "scenario": scenario_id, "step": "hello", "within": "PT24H"},
            1,
        ),
        "delivered-day": (
            {"kind": "delivered", "scenario": scenario_id, "step": "hello", "within": "P1D"},
            1,
        ),
        "delivered-ever": ({"kind": "delivered", "scenario": scenario_id, "step": "hello"}, 2),
        "tag": ({"kind": "tag", "tag": "kinds-vip"}, 2),
        "route": ({"kind": "route", "route": "kinds-qr"}, 1),
        "event-27": ({"kind": "event", "event": "kinds_buy", "properties": {"age": 27}}, 1),
        "event-week": ({"kind": "event", "event": "kinds_buy", "within": "P1W"}, 2),
        "event-day": ({"kind": "event", "event": "kinds_buy", "within": "P1D"}, 1),
    }
    ids = {name: await create(shared, {"name": name, **body}) for name, (body, _) in bodies.items()}
    assert await changes.calls() == []  # nobody's data changed
    listed = {a["id"]: a for a in (await shared.api.get("/audiences")).json()}
    for name, (body, size) in bodies.items():
        read = (await shared.api.get(f"/audiences/{ids[name]}")).json()
        assert read == listed[ids[name]]
        assert (read["name"], read["kind"], read["size"]) == (name, body["kind"], size), name
    params = {name: listed[ids[name]]["params"] for name in bodies}
    # stored normalised: every key of the kind, durations written one way
    assert params["clicked-scenario"] == {"scenario": scenario_id, "step": None, "within": None}
    assert params["clicked-step"] == {"scenario": scenario_id, "step": "hello", "within": "P1D"}
    assert params["event-week"] == {"event": "kinds_buy", "properties": {}, "within": "P7D"}
    assert params["event-27"] == {"event": "kinds_buy", "properties": {"age": 27}, "within": None}
    assert params["tag"] == {"tag": "kinds-vip"} and params["route"] == {"route": "kinds-qr"}

    # membership is computed when asked: a new tag shows at once
    await add_rows(shared, FriendTag(user_id=u[0], tag="kinds-vip"))
    assert (await shared.api.get(f"/audiences/{ids['tag']}")).json()["size"] == 3


async def test_scenario_and_step_must_exist(shared):
    scenario_id = await two_step_scenario(shared)
    cases = [
        ({"kind": "clicked", "scenario": "scn_nope"}, "scenario", "unknown scenario 'scn_nope'"),
        ({"kind": "clicked", "scenario": "scn_nope", "step": "hello"}, "scenario", None),
        ({"kind": "delivered", "scenario": "scn_nope", "step": "hello"}, "scenario", None),
        ({"kind": "clicked", "scenario": scenario_id, "step": "nope"}, "step", None),
        ({"kind": "delivered", "scenario": scenario_id, "step": "nope"}, "step", None),
        ({"kind": "delivered", "scenario": scenario_id, "step": "pause"}, "step", None),
    ]
    before = await count(shared, Audience)
    for body, path, message in cases:
        answer = await shared.api.post("/audiences", json={"name": "x", **body})
        assert answer.status_code == 422, answer.text
        [problem] = answer.json()["detail"]
        assert problem["path"] == path, body
        if message:
            assert problem["msg"] == message
    assert await count(shared, Audience) == before
    await create(
        shared, {"name": "ok", "kind": "delivered", "scenario": scenario_id, "step": "later"}
    )


async def test_only_upload_audiences_take_members_and_unknown_ones_are_404(shared, changes):
    audience_id = await create(shared, {"name": "t", "kind": "tag", "tag": "kinds-other"})
    answer = await shared.api.put(f"/audiences/{audience_id}/members", json={"user_ids": [user(9)]})
    assert answer.status_code == 409
    assert answer.json() == {"detail": "only upload audiences take members"}
    assert await count(shared, AudienceMember, AudienceMember.audience_id == audience_id) == 0
    unknown = await shared.api.get("/audiences/aud_nope")
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "no audience 'aud_nope'"}
    assert await changes.calls() == []


async def test_audiences_need_the_admin_token(shared):
    audience_id = await create(shared, {"name": "t", "kind": "route", "route": "kinds-auth"})
    before = await count(shared, Audience)
    async with httpx.AsyncClient(base_url=shared.api.base_url) as anonymous:
        for method, path, body in [
            ("POST", "/audiences", {"name": "x", "kind": "tag", "tag": "vip"}),
            ("GET", "/audiences", None),
            ("GET", f"/audiences/{audience_id}", None),
            ("PUT", f"/audiences/{audience_id}/members", {"user_ids": [user(1)]}),
        ]:
            answer = await anonymous.request(method, path, json=body)
            assert answer.status_code == 401, (method, path)
    assert await count(shared, Audience) == before


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
