"""Real enrollments whose histories are kept under tests/replay/histories/: each plays a
scenario through a whole stepline (API, emulator, worker) on the time-skipping server."""

from collections.abc import Awaitable, Callable
from datetime import timedelta

from tests.support.stack import Stack, user

Journey = Callable[[Stack], Awaitable[tuple[str, str]]]  # → (scenario id, user id)
DAY = "P1D"


def _message(step_id: str, text: str, **extra) -> dict:
    return {"id": step_id, "type": "message", "messages": [{"type": "text", "text": text}], **extra}


def _scenario(*steps: dict, **extra) -> dict:
    return {"name": "replay", "trigger": {"type": "follow"}, "steps": list(steps), **extra}


BRANCHED = _scenario(
    _message("welcome", "Welcome {displayName}", defaults={"displayName": "there"}),
    {"id": "day", "type": "wait", "duration": DAY},
    {
        "id": "plan",
        "type": "branch",
        "branches": [
            {
                "label": "gold",
                "when": {"attribute": "plan", "equals": "gold"},
                "steps": [_message("gold", "Gold https://shop.example/gold")],
            }
        ],
        "otherwise": [_message("regular", "Regular")],
    },
)


async def completed_with_a_branch(stack: Stack) -> tuple[str, str]:
    scenario_id = await stack.scenario(BRANCHED)
    friend = user(9001)
    await stack.api.put(f"/friends/{friend}/attributes", json={"plan": "gold"})
    await stack.follow(friend, display_name="Aki")
    await stack.outcome(scenario_id, friend)
    return scenario_id, friend


async def waiting(stack: Stack) -> tuple[str, str]:
    scenario_id = await stack.scenario(BRANCHED)
    friend = user(9002)
    await stack.follow(friend)
    await stack.until_status(scenario_id, friend, "waiting", step="day")
    return scenario_id, friend


async def blocked_mid_wait(stack: Stack) -> tuple[str, str]:
    scenario_id = await stack.scenario(BRANCHED)
    friend = user(9003)
    await stack.follow(friend)
    await stack.until_status(scenario_id, friend, "waiting", step="day")
    await stack.unfollow(friend)
    await stack.outcome(scenario_id, friend)
    return scenario_id, friend


JOURNEY = _scenario(
    _message("hello", "Hello", window={"start": "10:00", "end": "20:00"}),
    {
        "id": "buy",
        "type": "wait_for",
        "until": {"event": "purchase"},
        "timeout": "P3D",
        "then": [{"id": "buyer", "type": "tag", "add": ["buyer"]}],
        "on_timeout": [
            {
                "id": "ab",
                "type": "split",
                "arms": [
                    {"label": "A", "weight": 1, "steps": [_message("a", "A")]},
                    {"label": "B", "weight": 1, "steps": [_message("b", "B")]},
                ],
            }
        ],
    },
    {"id": "mark", "type": "attribute", "set": {"journey": "done"}},
    exit=[{"tag": "unsubscribed"}],
)


async def wait_for_timeout_and_split(stack: Stack) -> tuple[str, str]:
    scenario_id = await stack.scenario(JOURNEY)
    friend = user(9004)
    await stack.follow(friend)
    await stack.outcome(scenario_id, friend)
    return scenario_id, friend


async def exited_by_a_tag(stack: Stack) -> tuple[str, str]:
    scenario_id = await stack.scenario(JOURNEY)
    friend = user(9005)
    await stack.follow(friend)
    await stack.env.sleep(timedelta(days=1))
    await stack.until_status(scenario_id, friend, "waiting", step="buy")
    await stack.api.post(f"/friends/{friend}/tags", json={"tags": ["unsubscribed"]})
    await stack.outcome(scenario_id, friend)
    return scenario_id, friend


async def wait_for_an_event(stack: Stack) -> tuple[str, str]:
    scenario_id = await stack.scenario(JOURNEY)
    friend = user(9006)
    await stack.follow(friend)
    await stack.env.sleep(timedelta(days=1))
    await stack.until_status(scenario_id, friend, "waiting", step="buy")
    await stack.api.post("/events", json={"user_id": friend, "name": "purchase"})
    await stack.outcome(scenario_id, friend)
    return scenario_id, friend


async def retried_after_a_4xx(stack: Stack) -> tuple[str, str]:
    """LINE refuses the welcome; an admin retry runs the enrollment again from it (the
    history kept is the retry's run)."""
    scenario_id = await stack.scenario(BRANCHED)
    friend = user(9007)
    await stack.emu.post("/emulator/faults", json={"status": 400, "user_id": friend})
    await stack.follow(friend)
    await stack.outcome(scenario_id, friend)
    await stack.api.post(f"/enrollments/enrollment:{scenario_id}:{friend}:1/retry")
    await stack.outcome(scenario_id, friend)
    return scenario_id, friend


MARKETING = _scenario(
    {
        "id": "ask",
        "type": "survey",
        "question": "How did you find us?",
        "options": [
            {"label": "Instagram", "value": "instagram"},
            {"label": "Other", "value": "other"},
        ],
        "attribute": "source",
        "timeout": "P3D",
        "then": [_message("thanks", "Thanks")],
        "on_timeout": [],
    },
    {
        "id": "by_source",
        "type": "branch",
        "branches": [
            {
                "label": "insta",
                "when": {"attribute": "source", "equals": "instagram"},
                "steps": [{"id": "menu", "type": "rich_menu", "unlink": True}],
            }
        ],
    },
    {
        "id": "coupon",
        "type": "message",
        "messages": [{"type": "coupon", "couponId": "01JREPLAYUNKNOWNCOUPON00000"}],
    },
    {
        "id": "expiry",
        "type": "wait",
        "until": {"attribute": "point_expiry", "offset": "-P3D", "at": "10:00"},
    },
    _message("expiring", "Your points expire soon"),
)


async def survey_menu_coupon_and_date_wait(stack: Stack) -> tuple[str, str]:
    """A survey answered by a tap, a rich menu step in the branch it chose, a coupon LINE does
    not know (the step skipped), then a wait until a date attribute moved by a correction."""
    scenario_id = await stack.scenario(MARKETING)
    friend = user(9008)
    await stack.api.put(f"/friends/{friend}/attributes", json={"point_expiry": "2027-03-01"})
    await stack.follow(friend)
    await stack.until_status(scenario_id, friend, "waiting", step="ask")
    pushes = [p for p in await stack.received(friend) if p["messages"][0].get("quickReply")]
    items = pushes[0]["messages"][0]["quickReply"]["items"]
    data = next(i["action"]["data"] for i in items if i["action"]["label"] == "Instagram")
    await stack.emu.post(f"/emulator/users/{friend}/postback", json={"data": data})
    await stack.until_status(scenario_id, friend, "waiting", step="expiry")
    await stack.api.put(f"/friends/{friend}/attributes", json={"point_expiry": "2027-02-01"})
    await stack.outcome(scenario_id, friend)
    return scenario_id, friend


async def wait_first_then_a_branch(stack: Stack) -> tuple[str, str]:
    """A scenario that begins with a wait: the admission records it (EnrollmentInput
    .first_wait), the first workflow task only starts the timer."""
    scenario_id = await stack.scenario(
        _scenario({"id": "first", "type": "wait", "duration": DAY}, *BRANCHED["steps"])
    )
    friend = user(9010)
    await stack.api.put(f"/friends/{friend}/attributes", json={"plan": "gold"})
    await stack.follow(friend, display_name="Aki")
    await stack.outcome(scenario_id, friend)
    return scenario_id, friend


JOURNEYS: dict[str, Journey] = {
    "completed-with-a-branch": completed_with_a_branch,
    "waiting": waiting,
    "blocked-mid-wait": blocked_mid_wait,
    "wait-for-timeout-and-split": wait_for_timeout_and_split,
    "exited-by-a-tag": exited_by_a_tag,
    "wait-for-an-event": wait_for_an_event,
    "retried-after-a-4xx": retried_after_a_4xx,
    # the same journeys on the fast path (pushes as local activities, EnrollmentInput.fast):
    # recorded after it came, so that both ways keep replaying
    "fast-completed-with-a-branch": completed_with_a_branch,
    "fast-blocked-mid-wait": blocked_mid_wait,
    "fast-wait-for-timeout-and-split": wait_for_timeout_and_split,
    "fast-retried-after-a-4xx": retried_after_a_4xx,
    # issue 8's steps: survey, rich menu, a skipped coupon, a wait until a date attribute
    "survey-menu-coupon-and-date-wait": survey_menu_coupon_and_date_wait,
    # started with protocol 1 (scenarios/runs.PROTOCOL): the patched changes taken as given,
    # with no patch markers in their histories
    "protocol-1-completed-with-a-branch": completed_with_a_branch,
    "protocol-1-wait-for-timeout-and-split": wait_for_timeout_and_split,
    "protocol-1-blocked-mid-wait": blocked_mid_wait,
    # a first wait written by the admission (EnrollmentInput.first_wait)
    "first-wait-recorded-then-a-branch": wait_first_then_a_branch,
}
