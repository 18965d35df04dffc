"""Follow scenarios that take the same new friends: `warnings` in the create, activate and
PUT answers, in `GET /scenarios/{id}` and on each row of `GET /scenarios`, with how many
messages a new friend gets on the first day (app/overlaps.py); and the rule that counts them."""

from datetime import UTC, datetime, timedelta

from app.overlaps import first_day
from scenarios.definition import ScenarioDefinition
from tests.api.helpers import scenario, text, wait


def follow(name: str, *steps: dict, **trigger) -> dict:
    return scenario(*steps, name=name, trigger={"type": "follow", **trigger})


WELCOME = follow(
    "welcome", text("hi", "Hi"), wait("w1", "PT1H"), text("tip", "Tip"), wait("w2", "P1D"),
    text("later", "Later"),
)  # fmt: skip
FLYER = follow("flyer", text("hi", "Thanks for the flyer"), routes=["flyer"])
QR = follow("qr", text("hi", "QR"), routes=["qr"])
PAST = follow("past", text("hi", "Old campaign"), added_until="2020-01-01T00:00:00+09:00")


async def created(stack, definition: dict) -> dict:
    answer = await stack.api.post("/scenarios", json=definition)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def activated(stack, scenario_id: str) -> dict:
    answer = await stack.api.post(f"/scenarios/{scenario_id}/activate")
    assert answer.status_code == 200, answer.text
    return answer.json()


def ids(warning: dict) -> list[str]:
    return [s["id"] for s in warning["scenarios"]]


async def test_overlapping_follow_scenarios_are_warned_with_the_first_day_count(stack):
    welcome = (await created(stack, WELCOME))["id"]
    assert (await activated(stack, welcome))["warnings"] == []  # alone

    flyer = await created(stack, FLYER)
    [warning] = flyer["warnings"]  # a draft: what activating it would do
    assert warning["if_activated"] is True and warning["type"] == "follow_overlap"
    assert ids(warning) == [flyer["id"], welcome]
    assert (warning["any_route"], warning["routes"]) == (False, ["flyer"])
    assert warning["first_day_messages"] == 3  # welcome's hi + tip (1 h), flyer's hi
    assert [s["first_day_messages"] for s in warning["scenarios"]] == [1, 2]
    assert "once activated" in warning["msg"] and "3 message(s) on the first day" in warning["msg"]

    [warning] = (await activated(stack, flyer["id"]))["warnings"]
    assert warning["if_activated"] is False and "once activated" not in warning["msg"]
    assert "route 'flyer'" in warning["msg"]

    qr = await created(stack, QR)
    past = await created(stack, PAST)
    await activated(stack, qr["id"])
    assert (await activated(stack, past["id"]))["warnings"] == []  # takes no new friend

    read = (await stack.api.get(f"/scenarios/{welcome}")).json()
    assert sorted(w["routes"][0] for w in read["warnings"]) == ["flyer", "qr"]
    rows = {row["id"]: row for row in (await stack.api.get("/scenarios")).json()}
    assert len(rows[welcome]["warnings"]) == 2
    assert [ids(w) for w in rows[flyer["id"]]["warnings"]] == [[welcome, flyer["id"]]]
    assert rows[past["id"]]["warnings"] == []

    # a third for every route: each friend gets it too
    every = (await created(stack, follow("every", text("hi", "Hello"))))["id"]
    answer = await activated(stack, every)
    by_size = sorted(answer["warnings"], key=lambda w: w["first_day_messages"])
    assert [w["first_day_messages"] for w in by_size] == [3, 4, 4]  # any route; flyer; qr
    assert by_size[0]["any_route"] is True and "any route" in by_size[0]["msg"]

    ended = await stack.api.post(f"/scenarios/{every}/end")
    assert ended.json()["warnings"] == []
    paused = await stack.api.post(f"/scenarios/{flyer['id']}/pause")  # still takes friends
    assert len(paused.json()["warnings"]) == 1


async def test_other_triggers_and_separate_periods_do_not_overlap(stack):
    first = await created(
        stack, follow("nov", text("hi", "Nov"), added_until="2099-11-01T00:00:00Z")
    )
    await activated(stack, first["id"])
    later = await created(
        stack, follow("dec", text("hi", "Dec"), added_from="2099-11-01T00:00:00Z")
    )
    assert later["warnings"] == []
    event = scenario(text("hi", "Cart"), name="cart", trigger={"type": "event", "event": "cart"})
    assert (await created(stack, event))["warnings"] == []
    overlapping = await created(
        stack, follow("oct", text("hi", "Oct"), added_from="2099-10-01T00:00:00Z")
    )
    [warning] = overlapping["warnings"]
    assert warning["added_from"].startswith("2099-10-01")
    assert warning["added_until"].startswith("2099-11-01")


def test_the_first_day_rule_walks_the_first_path():
    def count(*steps: dict) -> int:
        return first_day(ScenarioDefinition.model_validate(scenario(*steps)))

    assert count(text("a", "A"), wait("w", "P1D"), text("b", "B")) == 1  # 24 h: day two
    assert count(text("a", "A"), wait("w", "PT23H59M"), text("b", "B")) == 2
    branch = {
        "id": "br", "type": "branch",
        "branches": [{"label": "x", "when": {"tag": "x"}, "steps": [text("x1", "X")]}],
        "otherwise": [text("o1", "O"), text("o2", "O"), text("o3", "O")],
    }  # fmt: skip
    assert count(branch, text("after", "After")) == 2  # the first branch, then on after it
    waiting = {
        "id": "wf", "type": "wait_for", "until": {"tag": "x"}, "timeout": "P3D",
        "then": [text("t", "T")], "on_timeout": [text("late", "Late")],
    }  # fmt: skip
    assert count(waiting) == 1  # `then`, at once
    date_wait = {"id": "d", "type": "wait", "until": {"attribute": "birthday"}}
    assert count(text("a", "A"), date_wait, text("b", "B")) == 1
    soon = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    far = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    assert count({"id": "s", "type": "wait", "until": soon}, text("b", "B")) == 1
    assert count({"id": "s", "type": "wait", "until": far}, text("b", "B")) == 0
