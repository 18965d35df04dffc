"""A webhook event's reply token (store/replies.py, activities/replying.py), on SQLite and
PostgreSQL: claimed once whoever asks, not when it is too old, and a delivery whose reply was
asked of LINE before is never sent again — whatever the activity's next attempt finds."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from temporalio.exceptions import ApplicationError

from activities import replying
from activities.replying import Replier
from store import replies
from store.migrate import alembic_config
from store.tables import Delivery, Enrollment, WebhookEvent

USER = "U" + "1" * 32
HAPPENED = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # long ago


async def setup(db, *, token: str | None = "r" * 32, enrollments: int = 1) -> list[Delivery]:
    body = {"type": "follow", "replyToken": token} if token else {"type": "follow"}
    async with db.session() as session:
        session.add(
            WebhookEvent(
                event_id="E1",
                type="follow",
                user_id=USER,
                timestamp_ms=int(HAPPENED.timestamp() * 1000),
                body=body,
                received_at=HAPPENED,
            )
        )
        found = []
        for n in range(enrollments):
            enrollment_id = f"enrollment:s{n}:{USER}:1"
            session.add(
                Enrollment(
                    id=enrollment_id, scenario_id=f"s{n}", version=1, user_id=USER, epoch=1,
                    reply_event="E1",
                )
            )  # fmt: skip
            delivery = Delivery(
                enrollment_id=enrollment_id,
                step_id="welcome",
                scenario_id=f"s{n}",
                user_id=USER,
                retry_key=f"k{n}",
            )
            session.add(delivery)
            found.append(delivery)
        await session.commit()
    return found


async def claim(db, delivery: Delivery, after: timedelta = timedelta(seconds=5)) -> str:
    async with db.session() as session:
        answer = await replies.claim(
            session, delivery=delivery, now=HAPPENED + after, within=timedelta(seconds=30)
        )
        await session.commit()
        return answer


async def row(db, delivery: Delivery) -> Delivery:
    async with db.session() as session:
        return await session.get(Delivery, (delivery.enrollment_id, delivery.step_id))


async def test_a_token_is_claimed_once_and_the_row_marked_a_reply(db):
    first, second = await setup(db, enrollments=2)
    assert await claim(db, first) == "r" * 32
    assert (await row(db, first)).via == "reply"
    assert await claim(db, second) == "taken"  # one token, one reply
    assert (await row(db, second)).via == "push"
    async with db.session() as session:
        event = await session.get(WebhookEvent, "E1")
    assert event.reply_claimed_by == first.enrollment_id


async def test_no_token_an_old_one_or_no_event(db):
    [delivery] = await setup(db)
    assert await claim(db, delivery, after=timedelta(seconds=31)) == "late"
    assert (await row(db, delivery)).via == "push"
    assert await claim(db, delivery) == "r" * 32  # still unclaimed after a look too late
    async with db.session() as session:
        await session.exec(sa.text("UPDATE enrollment SET reply_event = NULL"))
        await session.commit()
    assert await claim(db, delivery) == "none"


async def test_an_event_without_a_token_offers_none(db):
    [delivery] = await setup(db, token=None)
    assert await claim(db, delivery) == "none"


class Line:
    """LINE that must not be asked."""

    def __init__(self):
        self.asked = 0

    async def reply(self, **_):
        self.asked += 1
        return "req"


async def test_a_reply_asked_a_moment_ago_may_still_be_under_way(db, monkeypatch):
    [delivery] = await setup(db)
    async with db.session() as session:  # claimed now: that attempt may be waiting for LINE
        now = datetime.now(UTC)
        assert await replies.claim(session, delivery=delivery, now=now, within=timedelta(days=30))
        await session.commit()
    line = Line()
    with pytest.raises(ApplicationError) as raised:
        await Replier(db, line).reply(await row(db, delivery), [{"type": "text"}], False)
    assert raised.value.type == "ReplyUnderWay" and raised.value.next_retry_delay
    assert line.asked == 0
    stored = await row(db, delivery)  # nothing decided: the next attempt looks again
    assert (stored.via, stored.status) == ("reply", "reserved")


async def test_a_reply_asked_of_line_before_is_lost_never_sent_again(db, monkeypatch):
    # outside an activity: its logger would ask for the activity's context
    monkeypatch.setattr(replying.activity, "logger", logging.getLogger("test"))
    [delivery] = await setup(db)
    assert await claim(db, delivery) == "r" * 32  # an attempt asked LINE, then its worker died
    line = Line()
    again = await Replier(db, line).reply(await row(db, delivery), [{"type": "text"}], False)
    assert again is not None and again.lost and again.request_id is None
    assert line.asked == 0
    stored = await row(db, delivery)
    assert (stored.via, stored.status) == ("reply", "unconfirmed")
    assert "not pushed" in stored.error


def test_migration_0013_adds_the_columns_and_takes_them_away(database_url):
    config = alembic_config(database_url)
    command.upgrade(config, "0012")
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO delivery (enrollment_id, step_id, scenario_id, user_id, "
                    "retry_key, status, created_at) VALUES ('e', 's', 'c', 'u', 'k', 'sent', "
                    "'2026-01-01 00:00:00')"
                )
            )
        command.upgrade(config, "0013")
        with engine.connect() as connection:
            found = connection.execute(sa.text("SELECT via, silent FROM delivery")).one()
        assert (found[0], bool(found[1])) == ("push", False)  # rows from before are pushes
        columns = {c["name"] for c in sa.inspect(engine).get_columns("enrollment")}
        assert "reply_event" in columns
        command.downgrade(config, "0012")
        engine.dispose()
        columns = {c["name"] for c in sa.inspect(engine).get_columns("delivery")}
        assert "via" not in columns and "silent" not in columns
    finally:
        engine.dispose()
    command.upgrade(config, "head")
