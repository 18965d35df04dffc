"""Survey tokens: one per (enrollment, step), the same on a retried send; an answer counts
once, only from the friend it was sent to, only while the enrollment waits for it."""

from datetime import UTC, datetime

from sqlmodel import select

from store import surveys
from store.tables import Enrollment, Event, Friend, SurveyToken

AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
ALICE, BOB = "U" + "a" * 32, "U" + "b" * 32
OPTIONS = [{"label": "Yes", "value": "yes"}, {"label": "No", "value": 0}]


async def question(db, enrollment: str, user_id: str, *, options=OPTIONS, status="waiting"):
    async with db.session() as session:
        session.add(
            Enrollment(id=enrollment, scenario_id="s1", version=1, user_id=user_id, epoch=1)
        )
        await session.commit()
        row = await session.get(Enrollment, enrollment)
        row.status = status
        session.add(row)
        token = await surveys.token_for(
            session,
            enrollment_id=enrollment,
            scenario_id="s1",
            step_id="ask",
            user_id=user_id,
            attribute="likes",
            options=options,
        )
        await session.commit()
    return token


async def tap(db, user_id: str, token: str, index: int, webhook_event_id: str | None = None):
    async with db.session() as session:
        return await surveys.answer_postback(
            session,
            user_id=user_id,
            token=token,
            index=index,
            at=AT,
            webhook_event_id=webhook_event_id,
        )


async def state(db, user_id: str) -> tuple[dict, list[dict]]:
    async with db.session() as session:
        friend = await session.get(Friend, user_id)
        statement = select(Event).where(Event.user_id == user_id, Event.name == "survey_answer")
        answers = [e.properties for e in (await session.exec(statement)).all()]
    return (friend.attributes if friend else {}), answers


def test_postback_data_round_trips_and_other_data_is_not_a_survey_answer():
    data = surveys.postback_data("tok_EN-123", 12)
    assert data == "stepline-survey:tok_EN-123:12" and len(data) <= 300
    assert surveys.parse_postback(data) == ("tok_EN-123", 12)
    for other in [
        "action=buy",
        "stepline-survey:",
        "stepline-survey:tok",
        "stepline-survey::1",
        "stepline-survey:tok:x",
        "stepline-survey:tok:-1",
        "stepline-survey:tok:99999",
    ]:
        assert surveys.parse_postback(other) is None, other


async def test_the_same_token_on_a_retried_send_and_a_new_one_per_enrollment(db):
    first = await question(db, "e1", ALICE)
    async with db.session() as session:
        again = await surveys.token_for(
            session,
            enrollment_id="e1",
            scenario_id="s1",
            step_id="ask",
            user_id=ALICE,
            attribute="likes",
            options=OPTIONS,
        )
        await session.commit()
    other = await question(db, "e2", BOB)
    assert again == first != other
    assert len(first) == 32  # token_urlsafe(24): 192 random bits


async def test_an_answer_counts_once_and_only_from_its_friend(db):
    token = await question(db, "e3", ALICE)
    assert await tap(db, ALICE, "forged-token", 0) == "unknown token"
    assert (await tap(db, BOB, token, 0)).startswith("token of another friend")
    assert await tap(db, ALICE, token, 2) == "no option 2"
    assert await state(db, ALICE) == ({}, [])

    taken = await tap(db, ALICE, token, 1, "01WEBHOOKEVENT1")
    assert taken == surveys.Answered("e3", "ask", 0, "No")
    assert await tap(db, ALICE, token, 0, "01WEBHOOKEVENT2") == "answered already"
    attributes, answers = await state(db, ALICE)
    assert attributes == {"likes": 0}
    assert answers == [{"step_id": "ask", "scenario_id": "s1", "value": 0, "label": "No"}]
    async with db.session() as session:
        # what a webhook event processed again finds it gave (to signal it again)
        assert await surveys.given(session, webhook_event_id="01WEBHOOKEVENT1") == taken
        assert await surveys.given(session, webhook_event_id="01WEBHOOKEVENT2") is None


async def test_no_answer_counts_after_the_time_is_up_or_the_enrollment_ended(db):
    token = await question(db, "e4", ALICE)
    async with db.session() as session:
        closed = await surveys.close(session, enrollment_id="e4", step_id="ask")
    assert closed.closed_at is not None and closed.answered_at is None
    assert await tap(db, ALICE, token, 0) == "the survey timed out"

    exited = await question(db, "e5", BOB, status="exited")
    assert await tap(db, BOB, exited, 0) == "the enrollment is over"
    assert await state(db, ALICE) == ({}, []) and await state(db, BOB) == ({}, [])


async def test_an_answer_taken_before_the_close_still_counts(db):
    token = await question(db, "e6", ALICE)
    await tap(db, ALICE, token, 0)
    async with db.session() as session:
        row = await surveys.close(session, enrollment_id="e6", step_id="ask")
    assert (row.answer, row.label, row.closed_at) == ("yes", "Yes", None)


async def test_free_text_takes_the_newest_open_question(db):
    older = await question(db, "e7", ALICE, options=None)
    newer = await question(db, "e8", ALICE, options=None)
    async with db.session() as session:
        taken = await surveys.answer_text(session, user_id=ALICE, text="Blue", at=AT)
    assert taken == surveys.Answered("e8", "ask", "Blue", None)
    assert await tap(db, ALICE, older, 0) == "no option 0"  # a free-text question has none
    async with db.session() as session:
        second = await surveys.answer_text(session, user_id=ALICE, text="Red", at=AT)
        nobody = await surveys.answer_text(session, user_id=BOB, text="Hi", at=AT)
        rows = {r.token: r for r in (await session.exec(select(SurveyToken))).all()}
    assert second == surveys.Answered("e7", "ask", "Red", None) and nobody is None
    assert (rows[newer].answer, rows[older].answer) == ("Blue", "Red")
    assert (await state(db, ALICE))[0] == {"likes": "Red"}
