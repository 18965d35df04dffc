"""A `wait` until a moment, on the time-skipping server: the next message goes out at that
moment and not before; a moment already past does not wait at all."""

from datetime import datetime, timedelta, timezone

from core.windows import local_text
from tests.support.stack import user
from tests.workflows.test_failures import WELCOME, scenario, text
from tests.workflows.test_journey import planned

JST = timezone(timedelta(hours=9))


def until(step_id: str, moment: datetime) -> dict:
    return {"id": step_id, "type": "wait", "until": moment.isoformat()}


async def test_an_until_wait_sends_at_that_moment_not_before(stack):
    # virtual time: the moment is three days ahead of the test server's clock
    now = await stack.env.get_current_time()
    moment = (now + timedelta(days=3)).astimezone(JST).replace(second=0, microsecond=0)
    scenario_id = await stack.scenario(
        scenario(WELCOME, until("xmas", moment), text("gift", "Gift"), timezone="Asia/Tokyo")
    )
    friend = user(70)
    await stack.follow(friend)
    await stack.until_texts(friend, ["Welcome"])
    state = await stack.until_status(scenario_id, friend, "waiting", step="xmas")
    assert state.next_wake_at == moment

    await stack.env.sleep(moment - await stack.env.get_current_time() - timedelta(minutes=5))
    assert await stack.texts(friend) == ["Welcome"]  # five minutes before: nothing yet
    state = await stack.status(scenario_id, friend)
    assert (state.status, state.step) == ("waiting", "xmas")

    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == ["Welcome", "Gift"]
    sent = await planned(stack, friend)
    assert moment <= sent["gift"] < moment + timedelta(minutes=1)
    words = f"wait until {local_text(moment, 'Asia/Tokyo')} → gift"
    assert words in await stack.summaries(scenario_id, friend)
    assert words.startswith(f"wait until {moment:%Y-%m-%d %H:%M} JST")


async def test_an_until_already_past_sends_at_once(stack):
    now = await stack.env.get_current_time()
    scenario_id = await stack.scenario(
        scenario(WELCOME, until("gone", now - timedelta(days=1)), text("late", "Late"))
    )
    friend = user(71)
    await stack.follow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == ["Welcome", "Late"]
    sent = await planned(stack, friend)
    assert sent["late"] - sent["welcome"] < timedelta(minutes=1)
    assert not any(s.startswith("wait") for s in await stack.summaries(scenario_id, friend))
