"""A PUT of the current version's definition makes no version (`unchanged: true`, 200), and a
template's scenario is made once: `POST /templates/{name}/scenarios` answers the one of the
same name (activating it when asked) unless `new: true`."""

from store.tables import Scenario, ScenarioVersion
from tests.api.helpers import count, scenario, text, wait

V1 = scenario(text("hi", "Hi"), wait("w", "P1D"), text("later", "Later"))
# the same definition as written differently: defaults spelt out, keys in another order
V1_AGAIN = {
    "steps": V1["steps"],
    "trigger": {"type": "follow"},
    "timezone": "Asia/Tokyo",
    "on_unblock": "restart",
    "name": "test",
}
V2 = scenario(text("hi", "Hi v2"), wait("w", "P1D"), text("later", "Later"))


async def test_an_unchanged_definition_makes_no_version(shared):
    scenario_id = (await shared.api.post("/scenarios", json=V1)).json()["id"]
    for body in (V1, V1_AGAIN):
        answer = await shared.api.put(f"/scenarios/{scenario_id}", json=body)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {
            "id": scenario_id,
            "version": 1,
            "status": "draft",
            "unchanged": True,
            "warnings": [],
        }
    where = ScenarioVersion.scenario_id == scenario_id
    assert await count(shared, ScenarioVersion, where) == 1
    # nothing older to move to it: no operation either
    migrate = await shared.api.put(f"/scenarios/{scenario_id}?migrate=true", json=V1)
    assert migrate.status_code == 200 and "operation" not in migrate.json()

    changed = await shared.api.put(f"/scenarios/{scenario_id}", json=V2)
    assert (changed.status_code, changed.json()["version"]) == (200, 2)
    assert changed.json()["unchanged"] is False
    read = (await shared.api.get(f"/scenarios/{scenario_id}")).json()
    assert read["definition"]["steps"][0]["messages"][0]["text"] == "Hi v2"

    # unchanged, with migrate: those on older versions move to the current one
    moved = await shared.api.put(f"/scenarios/{scenario_id}?migrate=true", json=V2)
    assert moved.status_code == 202, moved.text
    body = moved.json()
    assert (body["version"], body["unchanged"], body["operation"]["action"]) == (2, True, "migrate")
    assert await count(shared, ScenarioVersion, where) == 2


async def test_an_ended_scenario_is_still_refused(shared):
    scenario_id = (await shared.api.post("/scenarios", json=V1)).json()["id"]
    await shared.api.post(f"/scenarios/{scenario_id}/end")
    answer = await shared.api.put(f"/scenarios/{scenario_id}", json=V1)
    assert answer.status_code == 409


async def test_a_template_makes_no_twin_unless_asked(shared):
    body = {"name": "Twin check"}
    first = await shared.api.post("/templates/follow-up/scenarios", json=body)
    assert first.status_code == 201, first.text
    assert (first.json()["existing"], first.json()["note"]) == (False, None)
    scenario_id = first.json()["id"]

    again = await shared.api.post("/templates/follow-up/scenarios", json=body)
    assert again.status_code == 200, again.text
    answer = again.json()
    assert (answer["id"], answer["status"], answer["existing"], answer["activated"]) == (
        scenario_id, "draft", True, False,
    )  # fmt: skip
    assert "was there already" in answer["note"] and '"new": true' in answer["note"]

    activated = await shared.api.post(
        "/templates/follow-up/scenarios", json=body | {"activate": True}
    )
    assert activated.status_code == 200
    answer = activated.json()
    assert (answer["id"], answer["status"], answer["activated"]) == (scenario_id, "active", True)
    assert "activated it rather than make a second" in answer["note"]

    still = await shared.api.post("/templates/follow-up/scenarios", json=body | {"activate": True})
    assert (still.json()["id"], still.json()["activated"]) == (scenario_id, False)
    assert "is active: nothing changed" in still.json()["note"]
    named = Scenario.name == "Twin check"
    assert await count(shared, Scenario, named) == 1

    second = await shared.api.post("/templates/follow-up/scenarios", json=body | {"new": True})
    assert second.status_code == 201 and second.json()["id"] != scenario_id
    assert await count(shared, Scenario, named) == 2
    # the twin would take the same new friends as the active one: said so
    [warning] = second.json()["warnings"]
    assert warning["if_activated"] is True and scenario_id in warning["msg"]

    await shared.api.post(f"/scenarios/{scenario_id}/end")
    await shared.api.post(f"/scenarios/{second.json()['id']}/end")
    after_end = await shared.api.post("/templates/follow-up/scenarios", json=body)
    assert after_end.status_code == 201  # ended ones do not count
