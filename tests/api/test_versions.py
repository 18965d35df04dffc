"""A PUT never changes a journey under a friend's feet: enrollments keep their version."""

from datetime import timedelta

from tests.api.helpers import scenario, text, wait
from tests.support.stack import user


def version(tag: str) -> dict:
    return scenario(
        text("welcome", f"Welcome {tag}"), wait("wait-1d", "P1D"), text("later", f"Later {tag}")
    )


async def test_friends_keep_the_version_they_started_on(stack):
    scenario_id = await stack.scenario(version("v1"))
    early, late = user(60), user(61)
    await stack.follow(early)
    await stack.until_texts(early, ["Welcome v1"])
    await stack.env.sleep(timedelta(hours=6))  # mid-wait

    answer = await stack.api.put(f"/scenarios/{scenario_id}", json=version("v2"))
    assert answer.json() == {
        "id": scenario_id,
        "version": 2,
        "status": "active",
        "unchanged": False,
        "warnings": [],
    }
    await stack.follow(late)

    assert (await stack.outcome(scenario_id, early)).version == 1
    assert (await stack.outcome(scenario_id, late)).version == 2
    assert await stack.texts(early) == ["Welcome v1", "Later v1"]
    assert await stack.texts(late) == ["Welcome v2", "Later v2"]

    by_user = {
        row["user_id"]: row["version"]
        for row in (await stack.api.get(f"/scenarios/{scenario_id}/enrollments")).json()
    }
    assert by_user == {early: 1, late: 2}


async def test_impact_previews_who_sits_where_and_what_a_version_could_take(stack):
    scenario_id = await stack.scenario(version("v1"))
    waiting = [user(62), user(63)]
    for friend in waiting:
        await stack.follow(friend)
        await stack.until_status(scenario_id, friend, "waiting", step="wait-1d")
    renamed = scenario(text("welcome", "Hi"), wait("pause-1d", "P1D"), text("later", "Later"))
    kept = version("v3")
    assert (await stack.api.put(f"/scenarios/{scenario_id}", json=renamed)).status_code == 200
    assert (await stack.api.put(f"/scenarios/{scenario_id}", json=kept)).status_code == 200

    to_v2 = (await stack.api.get(f"/scenarios/{scenario_id}/impact?version=2")).json()
    assert to_v2["steps"] == [
        {"version": 1, "step": "wait-1d", "status": "waiting", "friends": 2, "migrates": False}
    ]
    assert (to_v2["running"], to_v2["would_migrate"], to_v2["would_stay"]) == (2, 0, 2)
    to_current = (await stack.api.get(f"/scenarios/{scenario_id}/impact")).json()
    assert (to_current["to_version"], to_current["would_migrate"]) == (3, 2)
    # a preview changes nothing
    assert {
        r["version"] for r in (await stack.api.get(f"/scenarios/{scenario_id}/enrollments")).json()
    } == {1}


async def test_impact_of_an_unknown_version_or_scenario_is_404(stack):
    scenario_id = await stack.scenario(version("v1"))
    assert (await stack.api.get(f"/scenarios/{scenario_id}/impact?version=9")).status_code == 404
    assert (await stack.api.get("/scenarios/scn_nope/impact")).status_code == 404
    bad = await stack.api.get(f"/scenarios/{scenario_id}/impact?version=0")
    assert bad.status_code == 422 and bad.json()["detail"][0]["path"] == "version"


async def test_migrate_moves_waiting_friends_to_the_new_version_at_their_next_step(stack):
    scenario_id = await stack.scenario(version("v1"))
    moved, stays = user(64), user(65)
    await stack.follow(moved)
    await stack.until_status(scenario_id, moved, "waiting", step="wait-1d")
    # `stays` is on a step the new version no longer has
    await stack.api.put(
        f"/scenarios/{scenario_id}",
        json=scenario(text("welcome", "W"), wait("nap", "P2D"), text("later", "Later v2")),
    )
    await stack.follow(stays)
    await stack.until_status(scenario_id, stays, "waiting", step="nap")
    v3 = scenario(
        text("welcome", "Welcome v3"),
        wait("wait-1d", "P1D"),
        text("later", "Later v3"),
        text("extra", "Extra v3"),
    )
    answer = await stack.api.put(f"/scenarios/{scenario_id}?migrate=true", json=v3)
    assert answer.status_code == 202, answer.text  # the move is an operation
    body = answer.json()
    assert {k: body[k] for k in ("id", "version", "status", "migrating")} == {
        "id": scenario_id,
        "version": 3,
        "status": "active",
        "migrating": 1,
    }
    assert (body["operation"]["action"], body["operation"]["total"]) == ("migrate", 1)

    ended = await stack.outcome(scenario_id, moved)
    assert (ended.status, ended.version) == ("completed", 3)
    assert await stack.texts(moved) == ["Welcome v1", "Later v3", "Extra v3"]
    assert (await stack.outcome(scenario_id, stays)).version == 2
    assert await stack.texts(stays) == ["W", "Later v2"]
    versions = {
        row["user_id"]: row["version"]
        for row in (await stack.api.get(f"/scenarios/{scenario_id}/enrollments")).json()
    }
    assert versions == {moved: 3, stays: 2}
