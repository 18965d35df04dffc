"""POST /enrollments/{id}/retry refuses what it cannot retry (the retry itself: a journey in
tests/journeys/test_retry.py)."""

import httpx

from tests.api.helpers import scenario, text, wait
from tests.support.stack import user


async def test_a_running_enrollment_is_not_retried(stack):
    scenario_id = await stack.scenario(scenario(text("hi", "Hi"), wait("day", "P1D")))
    friend = user(810)
    await stack.follow(friend)
    await stack.until_status(scenario_id, friend, "waiting", step="day")
    answer = await stack.api.post(f"/enrollments/enrollment:{scenario_id}:{friend}:1/retry")
    assert answer.status_code == 409
    assert answer.json() == {
        "detail": "the enrollment is waiting: only a failed enrollment can be retried"
    }
    assert (await stack.status(scenario_id, friend)).step == "day"


async def test_unknown_malformed_and_unauthenticated(shared):
    unknown = f"enrollment:scn_000000000000:{user(811)}:1"
    answer = await shared.api.post(f"/enrollments/{unknown}/retry")
    assert answer.status_code == 404
    assert answer.json() == {"detail": f"no enrollment {unknown!r}"}
    malformed = await shared.api.post("/enrollments/nobody/retry")
    assert malformed.status_code == 422
    assert [problem["path"] for problem in malformed.json()["detail"]] == ["enrollment_id"]
    async with httpx.AsyncClient(base_url=str(shared.api.base_url)) as anonymous:
        assert (await anonymous.post(f"/enrollments/{unknown}/retry")).status_code == 401
