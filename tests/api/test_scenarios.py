"""Scenario lifecycle over the admin API: create, read, versions, status transitions, 404s."""

from datetime import timedelta

import pytest

from store.tables import Scenario, ScenarioVersion
from tests.api.helpers import count, scenario, text, wait
from tests.support.stack import user

V1 = scenario(text("welcome", "Welcome"), name="Follow-up")
V2 = scenario(
    text("welcome", "Welcome!"), wait("day", "P1D"), text("later", "Later"), name="Renamed"
)


async def create(stack, definition=V1) -> str:
    answer = await stack.api.post("/scenarios", json=definition)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


async def test_create_answers_201_with_id_version_1_and_draft(shared):
    answer = await shared.api.post("/scenarios", json=V1)
    assert answer.status_code == 201
    body = answer.json()
    assert body == {"id": body["id"], "version": 1, "status": "draft", "warnings": []}
    assert body["id"].startswith("scn_")
    async with shared.db.session() as session:
        row = await session.get(Scenario, body["id"])
    assert (row.name, row.status, row.version, row.trigger_type) == (
        "Follow-up",
        "draft",
        1,
        "follow",
    )


async def test_list_and_read(shared):
    scenario_id = await create(shared)
    listed = await shared.api.get("/scenarios")
    assert listed.status_code == 200
    mine = [s for s in listed.json() if s["id"] == scenario_id]
    assert len(mine) == 1
    assert mine[0]["name"] == "Follow-up"
    assert (mine[0]["version"], mine[0]["status"], mine[0]["trigger_type"]) == (
        1,
        "draft",
        "follow",
    )
    assert mine[0]["sent_count"] == 0 and mine[0]["delivery_cap"] is None

    read = await shared.api.get(f"/scenarios/{scenario_id}")
    assert read.status_code == 200
    body = read.json()
    assert (body["id"], body["version"], body["definition_version"], body["status"]) == (
        scenario_id,
        1,
        1,
        "draft",
    )
    # the stored definition, with defaults filled in
    assert body["definition"] == {
        "name": "Follow-up",
        "timezone": "Asia/Tokyo",
        "trigger": {"type": "follow"},
        "reentry": False,
        "reply_first": True,
        "on_unblock": "restart",
        "resume_grace": "P1D",
        "steps": [
            {
                "id": "welcome",
                "type": "message",
                "messages": [{"type": "text", "text": "Welcome"}],
                "track_links": True,
                "silent": False,
                "defaults": {},
            }
        ],
    }


async def test_put_makes_version_2_and_older_versions_stay_readable(shared):
    scenario_id = await create(shared)
    answer = await shared.api.put(f"/scenarios/{scenario_id}", json=V2)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "id": scenario_id,
        "version": 2,
        "status": "draft",
        "unchanged": False,
        "warnings": [],
    }

    current = (await shared.api.get(f"/scenarios/{scenario_id}")).json()
    assert (current["version"], current["definition_version"], current["name"]) == (2, 2, "Renamed")
    assert [step["id"] for step in current["definition"]["steps"]] == ["welcome", "day", "later"]

    older = await shared.api.get(f"/scenarios/{scenario_id}", params={"version": 1})
    assert older.status_code == 200
    assert older.json()["definition_version"] == 1
    assert older.json()["version"] == 2  # the scenario's current version
    assert older.json()["definition"]["name"] == "Follow-up"
    assert [s["id"] for s in older.json()["definition"]["steps"]] == ["welcome"]

    missing = await shared.api.get(f"/scenarios/{scenario_id}", params={"version": 3})
    assert missing.status_code == 404
    assert "version 3" in missing.json()["detail"]


@pytest.mark.parametrize("version", ["0", "-1", "two", str(10**20)])
async def test_a_bad_version_query_is_422_naming_version(shared, version):
    scenario_id = await create(shared)
    answer = await shared.api.get(f"/scenarios/{scenario_id}", params={"version": version})
    assert answer.status_code == 422, answer.text
    assert [p["path"] for p in answer.json()["detail"]] == ["version"]


async def test_a_rejected_put_changes_nothing(shared):
    scenario_id = await create(shared)
    bad = scenario(text("welcome", "Hi"), wait("w", "P400D"))
    answer = await shared.api.put(f"/scenarios/{scenario_id}", json=bad)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["path"] == "steps[1].duration"
    read = (await shared.api.get(f"/scenarios/{scenario_id}")).json()
    assert read["version"] == 1 and read["definition"]["name"] == "Follow-up"
    assert await count(shared, ScenarioVersion, ScenarioVersion.scenario_id == scenario_id) == 1


async def test_put_on_an_ended_scenario_is_409(shared):
    scenario_id = await create(shared)
    assert (await shared.api.post(f"/scenarios/{scenario_id}/end")).status_code == 202
    answer = await shared.api.put(f"/scenarios/{scenario_id}", json=V2)
    assert answer.status_code == 409
    assert "ended" in answer.json()["detail"]
    assert (await shared.api.get(f"/scenarios/{scenario_id}")).json()["version"] == 1


# (status before, action) → status after, or None for 409
TRANSITIONS = {
    ("draft", "activate"): "active",
    ("draft", "pause"): None,
    ("draft", "resume"): None,
    ("draft", "end"): "ended",
    ("active", "activate"): None,
    ("active", "pause"): "paused",
    ("active", "resume"): None,
    ("active", "end"): "ended",
    ("paused", "activate"): "active",
    ("paused", "pause"): None,
    ("paused", "resume"): "active",
    ("paused", "end"): "ended",
    ("ended", "activate"): None,
    ("ended", "pause"): None,
    ("ended", "resume"): None,
    ("ended", "end"): None,
}
REACH = {"draft": [], "active": ["activate"], "paused": ["activate", "pause"], "ended": ["end"]}


@pytest.mark.parametrize("start, action", TRANSITIONS, ids=[f"{s}-{a}" for s, a in TRANSITIONS])
async def test_status_transitions(shared, start, action):
    scenario_id = await create(shared)
    for step in REACH[start]:
        assert (await shared.api.post(f"/scenarios/{scenario_id}/{step}")).is_success
    answer = await shared.api.post(f"/scenarios/{scenario_id}/{action}")
    expected = TRANSITIONS[(start, action)]
    if expected is None:
        assert answer.status_code == 409, answer.text
        assert answer.json() == {"detail": f"cannot {action} a scenario that is {start}"}
        after = start
    else:
        body = answer.json()
        # pause, resume and end are carried to the enrollments by an operation (202), as
        # is the resume that activating a paused scenario is; activating a draft is not
        bulk = action != "activate" or start == "paused"
        assert answer.status_code == (202 if bulk else 200), answer.text
        assert {k: body[k] for k in ("id", "version", "status")} == {
            "id": scenario_id,
            "version": 1,
            "status": expected,
        }
        if bulk:
            operation = body["operation"]
            assert operation["action"] == ("resume" if action == "activate" else action)
            assert (operation["status"], operation["total"]) == ("done", 0)  # none enrolled
            assert operation["url"] == f"/operations/{operation['id']}"
        else:
            assert "operation" not in body
        after = expected
    assert (await shared.api.get(f"/scenarios/{scenario_id}")).json()["status"] == after


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/scenarios/scn_nope"),
        ("PUT", "/scenarios/scn_nope"),
        ("POST", "/scenarios/scn_nope/activate"),
        ("POST", "/scenarios/scn_nope/pause"),
        ("POST", "/scenarios/scn_nope/resume"),
        ("POST", "/scenarios/scn_nope/end"),
        ("GET", "/scenarios/scn_nope/stats"),
        ("GET", "/scenarios/scn_nope/enrollments"),
    ],
)
async def test_unknown_scenario_is_404(shared, method, path):
    answer = await shared.api.request(method, path, json=V1 if method == "PUT" else None)
    assert answer.status_code == 404
    assert answer.json() == {"detail": "no scenario 'scn_nope'"}


async def test_activating_a_paused_scenario_releases_held_enrollments(stack):
    scenario_id = await stack.scenario(V2)
    friend = user(50)
    await stack.follow(friend)
    await stack.until_texts(friend, ["Welcome!"])
    assert (await stack.api.post(f"/scenarios/{scenario_id}/pause")).status_code == 202
    await stack.env.sleep(timedelta(days=2))
    held = await stack.status(scenario_id, friend)
    assert (held.status, held.hold_reason, held.step) == ("held", "pause", "later")

    answer = await stack.api.post(f"/scenarios/{scenario_id}/activate")
    assert answer.json()["status"] == "active"
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == ["Welcome!", "Later"]


async def test_ending_a_scenario_ends_its_enrollments_and_enrols_nobody_new(stack):
    scenario_id = await stack.scenario(V2)
    friend, later = user(51), user(52)
    await stack.follow(friend)
    await stack.until_texts(friend, ["Welcome!"])
    assert (await stack.api.post(f"/scenarios/{scenario_id}/end")).json()["status"] == "ended"
    assert (await stack.outcome(scenario_id, friend)).status == "ended"
    await stack.follow(later)
    friend_view = (await stack.api.get(f"/friends/{later}")).json()
    assert friend_view["following"] is True and friend_view["enrollments"] == []
    assert await stack.texts(friend) == ["Welcome!"]
    assert await stack.received(later) == []
