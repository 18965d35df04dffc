"""Survey steps (アンケート): the question goes out with quick-reply postbacks carrying an
unguessable token; the friend's tap (a signed postback webhook) stores the answer in their
attribute, records a `survey_answer` event and the enrollment goes on at once, down the
branch the answer chooses; no answer in time takes `on_timeout`. Forged, replayed and
borrowed tokens, and second answers, change nothing."""

from datetime import timedelta

from sqlmodel import select

from store.tables import Event, SurveyToken
from tests.api.test_message_events import deliver, events_of, postback, said
from tests.journeys.test_events_and_exits import event
from tests.support.pipeline import process_again
from tests.support.stack import user
from tests.workflows.test_failures import scenario, text
from tests.workflows.test_journey import planned

QUESTION = "How did you find us?"
SOURCE = scenario(
    {
        "id": "ask",
        "type": "survey",
        "question": QUESTION,
        "options": [
            {"label": "Instagram", "value": "instagram"},
            {"label": "A friend", "value": "friend"},
        ],
        "attribute": "source",
        "timeout": "P3D",
        "then": [text("thanks", "Thanks for answering")],
        "on_timeout": [text("nudge", "No answer")],
    },
    {
        "id": "by_source",
        "type": "branch",
        "branches": [
            {
                "label": "insta",
                "when": {"attribute": "source", "equals": "instagram"},
                "steps": [text("insta", "Follow us on Instagram")],
            }
        ],
        "otherwise": [text("other", "Hello")],
    },
)
COLOUR = scenario(
    {
        "id": "colour",
        "type": "survey",
        "question": "Your favourite colour?",
        "attribute": "colour",
        "timeout": "P1D",
        "then": [text("noted", "Noted")],
        "on_timeout": [text("late", "Never mind")],
    }
)


async def options(stack, friend: str) -> dict[str, str]:
    """The question's quick-reply buttons as the friend sees them: label → postback data."""
    (push,) = [p for p in await stack.received(friend) if p["messages"][0].get("quickReply")]
    (question,) = push["messages"]
    assert question["text"] == QUESTION
    return {
        item["action"]["label"]: item["action"]["data"] for item in question["quickReply"]["items"]
    }


async def attributes(stack, friend: str) -> dict:
    return (await stack.api.get(f"/friends/{friend}")).json()["attributes"]


async def answers_of(stack, friend: str) -> list[dict]:
    return [e.properties for e in await events_of(stack, friend) if e.name == "survey_answer"]


async def asked(stack, friend: str) -> None:
    """The question is out and the enrollment waits for the answer."""
    await stack.until_texts(friend, [QUESTION])


async def test_a_tapped_option_is_stored_and_chooses_the_next_branch_at_once(stack):
    scenario_id = await stack.scenario(SOURCE)
    friend = user(9100)
    await stack.follow(friend)
    await asked(stack, friend)
    tapped = await options(stack, friend)
    assert list(tapped) == ["Instagram", "A friend"]
    token = tapped["Instagram"].split(":")[1]
    assert len(token) >= 32 and tapped["A friend"] == f"stepline-survey:{token}:1"
    await stack.env.sleep(timedelta(hours=5))
    await stack.until_status(scenario_id, friend, "waiting", step="ask")
    before = await stack.env.get_current_time()

    await deliver(stack, postback(friend, tapped["Instagram"]))
    # the signal takes it on: no timer fires, virtual time stands still
    await stack.until_texts(friend, [QUESTION, "Thanks for answering", "Follow us on Instagram"])
    assert await stack.env.get_current_time() - before < timedelta(minutes=1)
    sent = await planned(stack, friend)
    assert timedelta(hours=5) <= sent["thanks"] - sent["ask"] < timedelta(hours=6)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"

    assert (await attributes(stack, friend))["source"] == "instagram"
    assert await answers_of(stack, friend) == [
        {"step_id": "ask", "scenario_id": scenario_id, "value": "instagram", "label": "Instagram"}
    ]
    stats = (await stack.api.get(f"/scenarios/{scenario_id}/stats")).json()
    ways = {(b["step"], b["label"]): b["taken"] for b in stats["branches"]}
    assert ways[("ask", "then")] == 1 and ways[("ask", "on_timeout")] == 0
    assert ways[("by_source", "insta")] == 1
    assert stats["surveys"] == [
        {"step": "ask", "asked": 1, "answered": 1, "answers": {"instagram": 1}}
    ]

    # answers are events and attributes like any other: an audience of those who said Instagram
    audiences = []
    for body in (
        {"name": "said insta", "kind": "event", "event": "survey_answer"},
        {"name": "said a friend", "kind": "event", "event": "survey_answer"},
    ):
        value = "instagram" if body["name"] == "said insta" else "friend"
        created = await stack.api.post("/audiences", json=body | {"properties": {"value": value}})
        assert created.status_code == 201, created.text
        audiences.append(created.json()["id"])
    sizes = [(await stack.api.get(f"/audiences/{a}")).json()["size"] for a in audiences]
    assert sizes == [1, 0]


async def test_no_answer_in_time_takes_on_timeout_and_a_late_tap_changes_nothing(stack):
    scenario_id = await stack.scenario(SOURCE)
    friend = user(9101)
    await stack.follow(friend)
    await asked(stack, friend)
    tapped = await options(stack, friend)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == [QUESTION, "No answer", "Hello"]
    sent = await planned(stack, friend)
    assert timedelta(days=3) <= sent["nudge"] - sent["ask"] < timedelta(days=3, minutes=1)

    await deliver(stack, postback(friend, tapped["Instagram"]))  # too late: a stale token
    assert "source" not in await attributes(stack, friend)
    assert await answers_of(stack, friend) == []
    stats = (await stack.api.get(f"/scenarios/{scenario_id}/stats")).json()
    assert stats["surveys"] == [{"step": "ask", "asked": 1, "answered": 0, "answers": {}}]
    ways = {(b["step"], b["label"]): b["taken"] for b in stats["branches"]}
    assert ways[("ask", "on_timeout")] == 1


async def test_without_options_the_next_text_message_is_the_answer(stack):
    scenario_id = await stack.scenario(COLOUR)
    friend = user(9102)
    await stack.follow(friend)
    await stack.until_texts(friend, ["Your favourite colour?"])
    (push,) = await stack.received(friend)
    assert "quickReply" not in push["messages"][0]
    await stack.until_status(scenario_id, friend, "waiting", step="colour")

    await deliver(stack, said(friend, "Blue"))
    await stack.until_texts(friend, ["Your favourite colour?", "Noted"])
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    await deliver(stack, said(friend, "Actually red"))  # the question is answered already
    assert (await attributes(stack, friend))["colour"] == "Blue"
    assert await answers_of(stack, friend) == [
        {"step_id": "colour", "scenario_id": scenario_id, "value": "Blue"}
    ]


async def test_a_second_answer_is_ignored(stack):
    scenario_id = await stack.scenario(SOURCE)
    friend = user(9103)
    await stack.follow(friend)
    await asked(stack, friend)
    tapped = await options(stack, friend)
    await deliver(stack, postback(friend, tapped["A friend"]))
    await stack.until_texts(friend, [QUESTION, "Thanks for answering", "Hello"])
    await deliver(stack, postback(friend, tapped["Instagram"]))  # a change of mind: too late
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert (await attributes(stack, friend))["source"] == "friend"
    assert [a["value"] for a in await answers_of(stack, friend)] == ["friend"]
    assert await stack.texts(friend) == [QUESTION, "Thanks for answering", "Hello"]


async def test_forged_replayed_and_borrowed_tokens_change_nothing(any_stack):
    stack = any_stack
    scenario_id = await stack.scenario(SOURCE)
    alice, bob, carol = user(9104), user(9105), user(9106)
    for friend in (alice, bob, carol):
        await stack.follow(friend)
        await asked(stack, friend)
    alices = await options(stack, alice)
    token = alices["Instagram"].split(":")[1]

    forged = [
        f"stepline-survey:{'A' * len(token)}:0",  # a token never issued
        f"stepline-survey:{token}:7",  # no such option
        f"stepline-survey:{token}",  # no option at all
    ]
    for data in forged:
        await deliver(stack, postback(alice, data))
    await deliver(stack, postback(bob, alices["Instagram"]))  # Alice's token, tapped by Bob
    for friend in (alice, bob):
        await stack.until_status(scenario_id, friend, "waiting", step="ask")
        assert "source" not in await attributes(stack, friend)
        assert await answers_of(stack, friend) == []
    # the postbacks themselves are on record, as any postback is
    assert len([e for e in await events_of(stack, alice) if e.name == "postback"]) == 3

    # Alice's own tap counts; LINE delivering it again (same webhookEventId) changes nothing
    tap = postback(alice, alices["A friend"])
    await deliver(stack, tap)
    await deliver(stack, tap, redelivery=True)
    await stack.until_texts(alice, [QUESTION, "Thanks for answering", "Hello"])
    # the same data in a new webhook event (a replay by whoever saw it) changes nothing
    await deliver(stack, postback(alice, alices["Instagram"]))
    assert (await attributes(stack, alice))["source"] == "friend"
    assert [a["value"] for a in await answers_of(stack, alice)] == ["friend"]

    await deliver(stack, postback(bob, (await options(stack, bob))["Instagram"]))
    await stack.until_texts(bob, [QUESTION, "Thanks for answering", "Follow us on Instagram"])
    assert (await stack.outcome(scenario_id, carol)).status == "completed"  # times out
    assert await stack.texts(carol) == [QUESTION, "No answer", "Hello"]

    async with stack.db.session() as session:
        rows = (await session.exec(select(SurveyToken))).all()
        surveyed = {row.user_id: row for row in rows if row.scenario_id == scenario_id}
        answered = (await session.exec(select(Event).where(Event.name == "survey_answer"))).all()
    assert len({row.token for row in surveyed.values()}) == 3  # one token per enrollment
    assert sorted(e.user_id for e in answered if e.properties["scenario_id"] == scenario_id) == (
        sorted([alice, bob])
    )
    stats = (await stack.api.get(f"/scenarios/{scenario_id}/stats")).json()
    assert stats["surveys"] == [
        {"step": "ask", "asked": 3, "answered": 2, "answers": {"friend": 1, "instagram": 1}}
    ]


async def test_a_bad_survey_is_refused_with_422_naming_the_fields(stack):
    bad = {
        **SOURCE["steps"][0],
        "options": [{"label": "Much too long for a button", "value": "x"}] * 2,
        "timeout": "P2Y",
    }
    answer = await stack.api.post("/scenarios", json={**SOURCE, "steps": [bad]})
    assert answer.status_code == 422, answer.text
    assert {error["path"] for error in answer.json()["detail"]} == {
        "steps[0].options[0].label",
        "steps[0].options[1].label",
        "steps[0].timeout",
    }


async def test_a_friend_who_has_blocked_is_not_asked_now_nor_later(stack):
    # on_unblock: resume walks on while the friend has blocked: the question falls due then,
    # and is not pushed at the unblock (its answer would no longer be waited for)
    scenario_id = await stack.scenario(
        scenario(
            text("hi", "Hi"),
            {"id": "day", "type": "wait", "duration": "P1D"},
            *SOURCE["steps"],
            on_unblock="resume",
            resume_grace="P2D",
        )
    )
    friend = user(9107)
    await stack.follow(friend)
    await stack.until_status(scenario_id, friend, "waiting", step="day")
    await stack.unfollow(friend)
    await stack.env.sleep(timedelta(days=1, hours=2))  # the question fell due 2 hours ago
    await stack.follow(friend)
    ended = await stack.outcome(scenario_id, friend)
    assert ended.status == "completed"
    assert await stack.texts(friend) == ["Hi", "No answer", "Hello"]
    async with stack.db.session() as session:
        assert (
            await session.exec(select(SurveyToken).where(SurveyToken.user_id == friend))
        ).all() == []
    stats = (await stack.api.get(f"/scenarios/{scenario_id}/stats")).json()
    assert stats["surveys"] == [{"step": "ask", "asked": 0, "answered": 0, "answers": {}}]


async def test_a_text_answers_the_newest_open_question_once_however_often_it_is_processed(stack):
    colour = await stack.scenario(COLOUR)
    city = await stack.scenario(
        {
            **COLOUR,
            "trigger": {"type": "event", "event": "quiz"},
            "steps": [{**COLOUR["steps"][0], "question": "Your city?", "attribute": "city"}],
        }
    )
    friend = user(9108)
    await stack.follow(friend)
    await stack.until_texts(friend, ["Your favourite colour?"])
    await event(stack, friend, "quiz")
    await stack.until_texts(friend, ["Your favourite colour?", "Your city?"])
    await stack.until_status(city, friend, "waiting", step="colour")

    tokyo = said(friend, "Tokyo")
    await deliver(stack, tokyo)
    await stack.until_texts(friend, ["Your favourite colour?", "Your city?", "Noted"])
    # the same webhook event again (redelivered, or processed again after a crash): it
    # answered the city question, and does not answer the colour one too
    await deliver(stack, tokyo, redelivery=True)
    await process_again(stack, tokyo["webhookEventId"])
    await stack.until_status(colour, friend, "waiting", step="colour")
    assert await attributes(stack, friend) == {"city": "Tokyo"}

    await deliver(stack, said(friend, "Blue"))
    assert (await stack.outcome(colour, friend)).status == "completed"
    assert (await stack.outcome(city, friend)).status == "completed"
    assert await attributes(stack, friend) == {"city": "Tokyo", "colour": "Blue"}
    assert [(a["scenario_id"], a["value"]) for a in await answers_of(stack, friend)] == [
        (city, "Tokyo"),
        (colour, "Blue"),
    ]
