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
    assert answer.json() == {"id": scenario_id, "version": 2, "status": "active"}
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
