"""The steps LINE lacks: wait_for (both ways out at the right virtual times), split (stable
arms in proportion), tag/attribute, switch; and personalisation."""

from collections import Counter
from datetime import timedelta

from scenarios.split import choose_arm
from tests.journeys.test_events_and_exits import event
from tests.support.stack import user
from tests.workflows.test_failures import WELCOME, scenario, text
from tests.workflows.test_journey import planned

WAIT_FOR_PURCHASE = scenario(
    WELCOME,
    {
        "id": "buy",
        "type": "wait_for",
        "until": {"event": "purchase"},
        "timeout": "P3D",
        "then": [text("thanks", "Thank you for your order")],
        "on_timeout": [text("nudge", "Here is 10% off")],
    },
    text("bye", "See you"),
)


async def test_wait_for_takes_then_the_moment_the_event_arrives(stack):
    scenario_id = await stack.scenario(WAIT_FOR_PURCHASE)
    buyer = user(400)
    await stack.follow(buyer)
    await stack.until_texts(buyer, ["Welcome"])
    await stack.env.sleep(timedelta(hours=5))
    await stack.until_status(scenario_id, buyer, "waiting", step="buy")
    await event(stack, buyer, "purchase")
    await stack.until_texts(buyer, ["Welcome", "Thank you for your order", "See you"])
    sent = await planned(stack, buyer)
    assert timedelta(hours=5) <= sent["thanks"] - sent["welcome"] < timedelta(hours=6)
    stats = (await stack.api.get(f"/scenarios/{scenario_id}/stats")).json()
    assert ("buy", "then", 1) in {(b["step"], b["label"], b["taken"]) for b in stats["branches"]}


async def test_wait_for_takes_on_timeout_when_nothing_happens(stack):
    scenario_id = await stack.scenario(WAIT_FOR_PURCHASE)
    browser = user(401)
    # before the step began (here: before the friend even followed) it does not count; sent
    # after the follow it would race the welcome to the step's entry
    await event(stack, browser, "purchase")
    await stack.follow(browser)
    assert (await stack.outcome(scenario_id, browser)).status == "completed"
    assert await stack.texts(browser) == ["Welcome", "Here is 10% off", "See you"]
    sent = await planned(stack, browser)
    assert timedelta(days=3) <= sent["nudge"] - sent["welcome"] < timedelta(days=3, minutes=1)


async def test_wait_for_a_tag_that_is_already_there_goes_straight_on(stack):
    await stack.api.post(f"/friends/{user(402)}/tags", json={"tags": ["member"]})
    scenario_id = await stack.scenario(
        scenario(
            {
                "id": "member",
                "type": "wait_for",
                "until": {"tag": "member"},
                "timeout": "P7D",
                "then": [text("yes", "Member perks")],
                "on_timeout": [text("no", "Join us")],
            }
        )
    )
    await stack.follow(user(402))
    await stack.until_texts(user(402), ["Member perks"])
    assert (await stack.outcome(scenario_id, user(402))).status == "completed"


SPLIT = scenario(
    {
        "id": "ab",
        "type": "split",
        "arms": [
            {
                "label": "A",
                "weight": 50,
                "steps": [
                    {"id": "mark-a", "type": "attribute", "set": {"arm": "A"}},
                    text("a", "Offer A"),
                ],
            },
            {"label": "B", "weight": 30, "steps": [text("b", "Offer B")]},
            {"label": "holdout", "weight": 20, "steps": []},
        ],
    },
    {"id": "done", "type": "tag", "add": ["split-done"]},
)


async def test_a_split_sends_stable_arms_in_proportion(stack):
    scenario_id = await stack.scenario(SPLIT)
    # each friend's path is checked against choose_arm; that the arms fill in proportion to
    # their weights is tests/scenarios/test_split.py's (thousands of ids, no workflows)
    friends = [user(1000 + n) for n in range(60)]
    await stack.follow_many(friends)
    outcomes = [await stack.outcome(scenario_id, friend) for friend in friends]
    assert {outcome.status for outcome in outcomes} == {"completed"}
    arms: Counter[str] = Counter()
    for friend in friends:
        expected = ["A", "B", "holdout"][
            choose_arm([50, 30, 20], scenario_id=scenario_id, step_id="ab", user_id=friend)
        ]
        arms[expected] += 1
        got = await stack.texts(friend)
        assert got == {"A": ["Offer A"], "B": ["Offer B"], "holdout": []}[expected]
        profile = (await stack.api.get(f"/friends/{friend}")).json()
        assert ("arm" in profile["attributes"]) == (expected == "A")
        assert "split-done" in profile["tags"]
    assert set(arms) == {"A", "B", "holdout"}  # every arm taken by someone
    stats = (await stack.api.get(f"/scenarios/{scenario_id}/stats")).json()
    taken = {b["label"]: b["taken"] for b in stats["branches"] if b["step"] == "ab"}
    assert taken == dict(arms)
