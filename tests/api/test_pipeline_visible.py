"""What waits to be acted on is visible: /metrics counts the pending changes and the age of the
oldest, /readyz reads `degraded` (naming why) once one has waited over a minute, the
dashboard's banner says what is queued and why, and bulk operations are followed through
`GET /operations/{id}`, the scenario's list and `stepline operation show`."""

from datetime import timedelta

import httpx
from sqlmodel import update

from store import outbox
from store.pipeline_tables import Outbox
from store.types import utcnow
from tests.api.helpers import scenario, text, wait
from tests.support.pipeline import dispatcher_stopped
from tests.support.stack import user


async def age_everything(stack, by: timedelta, error: str | None = None) -> None:
    """As if the rows in the outbox had waited this long (and, with `error`, were failing)."""
    values: dict = {"since": utcnow() - by, "created_at": utcnow() - by}
    if error:
        values |= {"failing_since": utcnow() - by, "last_error": error, "attempts": 3}
    async with stack.db.session() as session:
        await session.exec(update(Outbox).values(**values))
        await session.commit()


async def health(stack) -> httpx.Response:
    async with httpx.AsyncClient(base_url=str(stack.api.base_url)) as anonymous:
        return await anonymous.get("/readyz")


async def test_changes_waiting_over_a_minute_make_health_degraded_and_show_everywhere(stack):
    friend = user(7101)
    await stack.follow(friend)
    async with dispatcher_stopped(stack):
        answer = await stack.api.post("/events", json={"user_id": friend, "name": "cart_add"})
        assert answer.status_code == 201  # accepted: it waits in the outbox
        fresh = await health(stack)
        assert fresh.status_code == 200 and fresh.json()["status"] == "ok"
        assert fresh.json()["changes"]["pending"] == 1

        await age_everything(stack, timedelta(minutes=2), "Temporal unreachable: refused")
        stale = await health(stack)
        assert stale.status_code == 200  # still taking webhooks and changes: not down
        body = stale.json()
        assert body["status"] == "degraded"
        assert body["detail"].startswith("1 change(s) waiting, the oldest for 2.0 min")
        assert body["detail"].endswith(": Temporal unreachable")  # its kind, not its text
        assert body["changes"]["last_error"] == "Temporal unreachable"
        assert "refused" not in stale.text
        assert body["changes"]["pending"] == 1 and body["changes"]["oldest_seconds"] >= 120

        metrics = (await stack.api.get("/metrics")).text
        assert 'stepline_changes_pending{kind="event"} 1.0' in metrics
        age = next(
            line for line in metrics.splitlines() if line.startswith("stepline_changes_oldest_age")
        )
        assert float(age.split()[-1]) >= 120
        assert "stepline_changes_failing_seconds" in metrics

        banner = await stack.api.get("/dashboard/queue")
        assert banner.status_code == 200
        assert "1 change(s) queued" in banner.text
        assert "Temporal unreachable: refused" in banner.text and "failing since" in banner.text
    await stack.settle()  # back: acted on, and nothing waits any more
    assert (await health(stack)).json()["status"] == "ok"
    assert "change(s) queued" not in (await stack.api.get("/dashboard/queue")).text


async def test_a_dashboard_page_carries_the_banner_and_the_login_page_does_not(stack):
    page = await stack.api.get("/")
    assert 'id="queue" data-live="/dashboard/queue"' in page.text
    async with httpx.AsyncClient(base_url=str(stack.api.base_url)) as anonymous:
        login = await anonymous.get("/login")
        assert login.status_code == 200 and 'id="queue"' not in login.text
        # the banner itself is behind the login like every dashboard page
        assert (await anonymous.get("/dashboard/queue")).status_code == 303


async def test_a_pause_is_an_operation_followed_to_its_end(stack):
    scenario_id = await stack.scenario(scenario(text("hi", "Hi"), wait("w", "P1D"), text("x", "X")))
    friends = [user(7200 + n) for n in range(3)]
    for friend in friends:
        await stack.follow(friend)
    async with dispatcher_stopped(stack):
        paused = await stack.api.post(f"/scenarios/{scenario_id}/pause")
        assert paused.status_code == 202
        operation = paused.json()["operation"]
        assert (operation["action"], operation["status"], operation["total"]) == (
            "pause",
            "queued",
            3,
        )
        listed = (await stack.api.get("/operations")).json()
        assert [op["id"] for op in listed] == [operation["id"]]  # under way
        banner = (await stack.api.get("/dashboard/queue")).text
        assert f'data-operation="{operation["id"]}"' in banner and "0 / 3" in banner
    await stack.settle()
    done = (await stack.api.get(operation["url"])).json()
    assert (done["status"], done["done"], done["total"]) == ("done", 3, 3)
    assert done["finished_at"] is not None
    mine = (await stack.api.get(f"/scenarios/{scenario_id}/operations")).json()
    assert [op["id"] for op in mine] == [operation["id"]]
    page = (await stack.api.get(f"/dashboard/scenarios/{scenario_id}")).text
    assert f'data-operation="{operation["id"]}"' in page and "status-done" in page
    assert (await stack.api.get("/operations/op_nope")).status_code == 404


async def test_a_newer_pause_or_resume_supersedes_one_still_under_way(stack):
    scenario_id = await stack.scenario(scenario(text("hi", "Hi"), wait("w", "P1D"), text("x", "X")))
    await stack.follow(user(7300))
    async with dispatcher_stopped(stack):
        pause = (await stack.api.post(f"/scenarios/{scenario_id}/pause")).json()["operation"]
        resume = (await stack.api.post(f"/scenarios/{scenario_id}/resume")).json()["operation"]
        async with stack.db.reading() as session:
            pending = await outbox.pending(session)
        assert pending.by_kind == {"operation": 1}  # the pause's row is gone
    await stack.settle()
    pause = (await stack.api.get(pause["url"])).json()
    resume = (await stack.api.get(resume["url"])).json()
    assert (pause["status"], pause["done"]) == ("superseded", 0)
    assert (resume["status"], resume["done"]) == ("done", 1)
    state = await stack.status(scenario_id, user(7300))
    assert state.status == "waiting"
