"""Event triggers, reentry, and exit conditions that end an enrollment mid-wait (one signal)."""

from datetime import timedelta
from pathlib import Path

import yaml

from tests.support.stack import user
from tests.workflows.test_failures import scenario, text, wait
from workflows.enrollment import EnrollmentWorkflow

CART = scenario(
    text("left", "You left something in your cart"),
    wait("day", "P1D"),
    text("again", "Still thinking about it?"),
    trigger={"type": "event", "event": "cart_add"},
    exit=[{"event": "purchase"}],
)


async def event(stack, user_id: str, name: str, **properties) -> dict:
    answer = await stack.api.post(
        "/events", json={"user_id": user_id, "name": name, "properties": properties}
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_an_event_enrols_and_a_purchase_ends_the_cart_reminder_mid_wait(stack):
    scenario_id = await stack.scenario(CART)
    buyer = user(300)
    await stack.follow(buyer)
    await event(stack, buyer, "page_view")  # not the trigger
    assert (await stack.api.get(f"/scenarios/{scenario_id}/enrollments")).json() == []

    await event(stack, buyer, "cart_add", sku="A-1")
    await stack.until_texts(buyer, ["You left something in your cart"])
    await stack.env.sleep(timedelta(hours=2))
    await stack.until_status(scenario_id, buyer, "waiting", step="day")

    await event(stack, buyer, "purchase", amount=4800)
    # the signal ends it in the middle of the day-long wait, no timer needed
    ended = await stack.until_status(scenario_id, buyer, "exited")
    assert ended.step == "day"
    assert await stack.texts(buyer) == ["You left something in your cart"]
    row = (await stack.api.get(f"/friends/{buyer}")).json()["enrollments"][0]
    assert row["status"] == "exited"


async def test_without_the_exit_event_the_reminder_goes_out(stack):
    scenario_id = await stack.scenario(CART)
    browser = user(301)
    await stack.follow(browser)
    await event(stack, browser, "cart_add")
    assert (await stack.outcome(scenario_id, browser)).status == "completed"
    assert await stack.texts(browser) == [
        "You left something in your cart",
        "Still thinking about it?",
    ]


async def test_a_purchase_before_the_cart_does_not_end_it(stack):
    # `exit` events count from the enrollment's start, not from the friend's whole history
    scenario_id = await stack.scenario(CART)
    regular = user(302)
    await stack.follow(regular)
    await event(stack, regular, "purchase")
    await event(stack, regular, "cart_add")
    assert (await stack.outcome(scenario_id, regular)).status == "completed"


async def test_an_event_enrols_once_unless_the_scenario_allows_reentry(stack):
    once = await stack.scenario(scenario(text("hi", "Once"), trigger=CART["trigger"]))
    again = await stack.scenario(
        scenario(text("hi", "Again"), trigger=CART["trigger"], reentry=True)
    )
    friend = user(303)
    await stack.follow(friend)
    await event(stack, friend, "cart_add")
    assert (await stack.outcome(once, friend)).status == "completed"
    assert (await stack.outcome(again, friend)).status == "completed"
    await event(stack, friend, "cart_add")
    second = stack.env.client.get_workflow_handle_for(
        EnrollmentWorkflow.run, f"enrollment:{again}:{friend}:1:2"
    )
    async with stack.env.time_skipping_unlocked():
        assert (await second.result()).status == "completed"
    assert sorted(await stack.texts(friend)) == ["Again", "Again", "Once"]
    assert len((await stack.api.get(f"/scenarios/{once}/enrollments")).json()) == 1


async def test_event_triggers_match_properties_and_skip_non_friends(stack):
    scenario_id = await stack.scenario(
        scenario(
            text("vip", "Thanks for the big order"),
            trigger={"type": "event", "event": "purchase", "properties": {"tier": "gold"}},
        )
    )
    friend, stranger = user(304), user(305)
    await stack.follow(friend)
    await event(stack, friend, "purchase", tier="silver")
    await event(stack, stranger, "purchase", tier="gold")  # recorded, but not a friend
    assert (await stack.api.get(f"/scenarios/{scenario_id}/enrollments")).json() == []
    await event(stack, friend, "purchase", tier="gold")
    assert (await stack.outcome(scenario_id, friend)).status == "completed"


async def test_a_tag_added_through_the_api_exits_a_waiting_enrollment(stack):
    scenario_id = await stack.scenario(
        scenario(
            text("a", "First"),
            wait("week", "P7D"),
            text("b", "Second"),
            exit=[{"any": [{"tag": "unsubscribed"}, {"attribute": "plan", "equals": "gold"}]}],
        )
    )
    friend = user(306)
    await stack.follow(friend)
    await stack.until_status(scenario_id, friend, "waiting", step="week")
    answer = await stack.api.post(f"/friends/{friend}/tags", json={"tags": ["unsubscribed"]})
    assert answer.status_code == 200
    assert (await stack.until_status(scenario_id, friend, "exited")).step == "week"
    assert await stack.texts(friend) == ["First"]


async def test_the_cart_reminder_example_plays_out(stack):
    definition = yaml.safe_load(
        (Path(__file__).parents[2] / "examples" / "cart-reminder.yaml").read_text()
    )
    scenario_id = await stack.scenario(definition)
    friend = user(307)
    await stack.follow(friend, display_name="Aki")
    await event(stack, friend, "cart_add", sku="A-100")
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    texts = await stack.texts(friend, untracked=True)
    assert texts[0] == "Hi Aki, you left something in your cart: https://shop.example/cart"
    assert texts[1] in (
        "Free shipping on your cart today: https://shop.example/cart",
        "10% off your cart today: https://shop.example/cart?coupon=CART10",
    )
