"""Running a scenario from its page, as an operator without the API: pause holds the friends on
their way, resume releases them over the spread typed, and end asks first — a page saying how
many friends' enrollments it ends, whose form alone ends them — then ends them. Every post
needs the session's form token."""

import re
from datetime import timedelta

from store import operations
from tests.operator.signed_in import csrf, operator
from tests.support.stack import user

LATER = {
    "name": "Welcome then later",
    "steps": [
        {"id": "hello", "type": "message", "messages": [{"type": "text", "text": "Welcome!"}]},
        {"id": "wait", "type": "wait", "duration": "P1D"},
        {"id": "later", "type": "message", "messages": [{"type": "text", "text": "Later"}]},
    ],
}


async def _scenario(stack, name: str, friends: list[str]) -> str:
    """An active scenario started by an event of its own (each test's friends enter its own
    only), and these friends on their way through it, waiting a day for "Later"."""
    event = re.sub(r"\W", "_", name.lower())
    scenario_id = await stack.scenario(
        LATER | {"name": name, "trigger": {"type": "event", "event": event}}
    )
    for friend in friends:
        await stack.follow(friend)
        answer = await stack.api.post("/events", json={"user_id": friend, "name": event})
        assert answer.status_code == 201, answer.text
        await stack.settle()
        await stack.until_texts(friend, ["Welcome!"])
    return scenario_id


async def _status(stack, scenario_id: str) -> str:
    return (await stack.api.get(f"/scenarios/{scenario_id}")).json()["status"]


async def _enrollments(stack, scenario_id: str) -> dict[str, str]:
    rows = (await stack.api.get(f"/scenarios/{scenario_id}/enrollments")).json()
    return {row["user_id"]: row["status"] for row in rows}


async def test_pause_holds_and_resume_releases_over_the_spread(shared):
    friend = user(0x1F01)
    scenario_id = await _scenario(shared, "Paused from its page", [friend])
    page_url = f"/dashboard/scenarios/{scenario_id}"
    async with operator(shared) as client:
        page = await client.get(page_url)
        assert 'id="action-pause"' in page.text and 'id="action-resume"' not in page.text
        refused = await client.post(f"{page_url}/pause", data={})
        assert refused.status_code == 403 and await _status(shared, scenario_id) == "active"

        paused = await client.post(f"{page_url}/pause", data={"csrf": csrf(client)})
        assert paused.status_code == 303 and paused.headers["location"] == page_url
        assert await _status(shared, scenario_id) == "paused"
        await shared.env.sleep(timedelta(days=2))  # the wait is over: held, not sent
        held = await shared.status(scenario_id, friend)
        assert (held.status, held.hold_reason, held.step) == ("held", "pause", "later")
        assert await shared.texts(friend) == ["Welcome!"]

        await shared.settle()
        assert await _enrollments(shared, scenario_id) == {friend: "held"}
        page = await client.get(page_url)
        assert 'id="action-resume"' in page.text and 'name="spread" value="PT5M"' in page.text
        assert 'class="status status-held"' in page.text
        for spread in ("P2D", "soon"):  # more than a day, not a duration: named, nothing done
            bad = await client.post(
                f"{page_url}/resume", data={"csrf": csrf(client), "spread": spread}
            )
            assert bad.status_code == 422 and '<code class="field">spread</code>' in bad.text
            assert await _status(shared, scenario_id) == "paused"

        resumed = await client.post(
            f"{page_url}/resume", data={"csrf": csrf(client), "spread": "PT2M"}
        )
        assert resumed.status_code == 303 and await _status(shared, scenario_id) == "active"
        async with shared.db.reading() as session:
            operation = (await operations.of_scenario(session, scenario_id, limit=1))[0]
        assert operation.action == "resume" and operation.params["spread_seconds"] == 120
        assert (await shared.outcome(scenario_id, friend)).status == "completed"
        assert await shared.texts(friend) == ["Welcome!", "Later"]
        await shared.settle()
        page = await client.get(page_url)
    assert 'id="action-pause"' in page.text
    assert await _enrollments(shared, scenario_id) == {friend: "completed"}


async def test_ending_asks_first_saying_how_many_enrollments_it_ends(shared):
    friends = [user(0x1F02), user(0x1F03)]
    scenario_id = await _scenario(shared, "Ended from its page", friends)
    page_url = f"/dashboard/scenarios/{scenario_id}"
    async with operator(shared) as client:
        page = await client.get(page_url)
        assert "data-confirm" not in page.text
        ask = re.search(
            r'<form method="get" action="([^"]+)"[^>]*>\s*<button[^>]*id="action-end"', page.text
        )
        assert ask and ask.group(1) == f"{page_url}/end"

        confirm = await client.get(f"{page_url}/end")
        assert confirm.status_code == 200
        assert "2 friends are on the way through it now" in confirm.text
        assert "End it, and 2 enrollments" in confirm.text
        assert 'name="confirmed" value="yes"' in confirm.text and csrf(client) in confirm.text
        japanese = await client.get(f"{page_url}/end", headers={"accept-language": "ja"})
        assert "「Ended from its page」を終了しますか？" in japanese.text

        # an end posted without the confirmation comes back to it; without the token, refused
        unasked = await client.post(f"{page_url}/end", data={"csrf": csrf(client)})
        assert unasked.status_code == 303 and unasked.headers["location"] == f"{page_url}/end"
        forged = await client.post(f"{page_url}/end", data={"confirmed": "yes"})
        assert forged.status_code == 403
        assert await _status(shared, scenario_id) == "active"

        ended = await client.post(
            f"{page_url}/end", data={"csrf": csrf(client), "confirmed": "yes"}
        )
        assert ended.status_code == 303 and ended.headers["location"] == page_url
        assert await _status(shared, scenario_id) == "ended"
        for friend in friends:
            assert (await shared.outcome(scenario_id, friend)).status == "ended"
        await shared.settle()
        assert await _enrollments(shared, scenario_id) == dict.fromkeys(friends, "ended")
        page = await client.get(page_url)
        assert 'id="action-end"' not in page.text and "status-ended" in page.text
        again = await client.get(f"{page_url}/end")
        assert again.status_code == 409
        assert (await client.get("/dashboard/scenarios/scn_nope/end")).status_code == 404
    for friend in friends:
        assert await shared.texts(friend) == ["Welcome!"]


async def test_nobody_on_the_way_is_said_too(shared):
    scenario_id = await _scenario(shared, "Nobody yet", [])
    async with operator(shared) as client:
        confirm = await client.get(f"/dashboard/scenarios/{scenario_id}/end")
    assert "Nobody is on the way through it now." in confirm.text
    assert "End it, and 0 enrollments" in confirm.text
