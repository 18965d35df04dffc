"""Store behaviour that exactly-once delivery and the webhook hand-off rely on, on SQLite and
(when configured) PostgreSQL."""

import asyncio
from datetime import UTC, datetime

from sqlmodel import select

from scenarios.definition import ScenarioDefinition
from scenarios.runs import EnrollmentStatus, ProgressUpdate, SendOutcome, SendRequest
from store import deliveries, enrollment_progress, enrollments, friends, scenarios
from store.pipeline_tables import Outbox
from store.tables import Delivery, Enrollment, Scenario
from tests.support.stack import user
from triggers import record

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
DEFINITION = ScenarioDefinition.model_validate(
    {
        "name": "store test",
        "trigger": {"type": "follow"},
        "delivery_cap": 5,
        "steps": [{"id": "hi", "type": "message", "messages": [{"type": "text", "text": "hi"}]}],
    }
)


async def test_follow_epochs_and_out_of_order_events(db):
    friend = user(1)
    async with db.session() as s:
        first = await friends.record_follow(s, user_id=friend, timestamp_ms=1000, at=NOW)
    assert (first.applied, first.friend.following, first.friend.epoch) == (True, True, 1)
    async with db.session() as s:
        again = await friends.record_follow(s, user_id=friend, timestamp_ms=1500, at=NOW)
    assert again.friend.epoch == 1  # already a friend: same epoch, no second enrollment
    async with db.session() as s:
        stale = await friends.record_unfollow(s, user_id=friend, timestamp_ms=900, at=NOW)
    assert (stale.applied, stale.friend.following) == (False, True)
    async with db.session() as s:
        blocked = await friends.record_unfollow(s, user_id=friend, timestamp_ms=2000, at=NOW)
    assert (blocked.applied, blocked.friend.following) == (True, False)
    async with db.session() as s:
        old_follow = await friends.record_follow(s, user_id=friend, timestamp_ms=1999, at=NOW)
    assert (old_follow.applied, old_follow.friend.following) == (False, False)
    async with db.session() as s:
        readded = await friends.record_follow(s, user_id=friend, timestamp_ms=3000, at=NOW)
    assert (readded.friend.following, readded.friend.epoch) == (True, 2)


async def test_attributes_merge_and_remove(db):
    friend = user(2)
    async with db.session() as s:
        await friends.merge_attributes(s, user_id=friend, attributes={"age": 27, "plan": "gold"})
    async with db.session() as s:
        merged = await friends.merge_attributes(
            s, user_id=friend, attributes={"plan": None, "area": "tokyo"}
        )
    assert merged.attributes == {"age": 27, "area": "tokyo"}
    async with db.session() as s:
        await friends.add_tags(s, user_id=friend, tags=["vip", "vip", "trial"])
        assert await friends.tags_of(s, user_id=friend) == ["trial", "vip"]
        assert await friends.remove_tag(s, user_id=friend, tag="trial")
        assert not await friends.remove_tag(s, user_id=friend, tag="trial")


async def test_webhook_events_are_recorded_once_and_queued_once(db):
    rows = [
        {
            "event_id": f"ev{n}",
            "type": "follow",
            "user_id": user(n),
            "timestamp_ms": 10 - n,  # LINE made them in the other order
            "body": {"n": n},
        }
        for n in range(3)
    ]
    async with db.session() as s:
        assert await record.webhooks_acknowledged(s, [rows[:2]]) == [["ev0", "ev1"]]
        await s.commit()
    async with db.session() as s:
        # the first two again (a redelivery) in one request, the third in another
        assert await record.webhooks_acknowledged(s, [rows[:2], rows]) == [[], ["ev2"]]
        await s.commit()
    async with db.reading() as s:
        queued = (await s.exec(select(Outbox).order_by(Outbox.seq))).all()
    # once each, in the order LINE made them within a request, each in its friend's lane
    assert [(r.kind, r.payload, r.lane) for r in queued] == [
        ("webhook", {"event_id": "ev1"}, user(1)),
        ("webhook", {"event_id": "ev0"}, user(0)),
        ("webhook", {"event_id": "ev2"}, user(2)),
    ]


async def test_delivery_cap_is_never_exceeded_by_concurrent_senders(db):
    async with db.session() as s:
        scenario = await scenarios.create_scenario(s, definition=DEFINITION)

    async def reserve() -> bool:
        async with db.session() as s:
            taken = await scenarios.reserve_delivery(s, scenario_id=scenario.id)
            await s.commit()
            return taken

    results = await asyncio.gather(*(reserve() for _ in range(20)))
    assert results.count(True) == 5
    async with db.session() as s:
        assert (await s.get(Scenario, scenario.id)).sent_count == 5


async def active_scenario_and_follower(db, friend: str) -> tuple[Scenario, SendRequest]:
    """An active scenario, a friend who follows, and the send request of its one step."""
    async with db.session() as s:
        scenario = await scenarios.create_scenario(s, definition=DEFINITION)
        await scenarios.change_status(s, scenario=scenario, action="activate")
        await friends.record_follow(s, user_id=friend, timestamp_ms=1, at=NOW)
    return scenario, send_request(scenario.id, friend)


def send_request(scenario_id: str, friend: str, step: str = "hi") -> SendRequest:
    """The push of `step` to `friend` in their first enrollment in the scenario."""
    return SendRequest(
        enrollment_id=enrollments.enrollment_id(scenario_id=scenario_id, user_id=friend, epoch=1),
        scenario_id=scenario_id,
        version=1,
        user_id=friend,
        epoch=1,
        step_id=step,
        planned_at=NOW,
    )


async def test_prepare_send_decides_once_per_step(db):
    friend = user(3)
    scenario, request = await active_scenario_and_follower(db, friend)
    eid = request.enrollment_id
    async with db.session() as s:
        first = await deliveries.prepare_send(s, request=request)
    assert isinstance(first, Delivery) and first.retry_key == deliveries.retry_key(
        enrollment_id=eid, step_id="hi"
    )
    async with db.session() as s:
        retried = await deliveries.prepare_send(s, request=request)  # an activity retry
    assert isinstance(retried, Delivery) and retried.retry_key == first.retry_key
    async with db.session() as s:
        assert (await s.get(Scenario, scenario.id)).sent_count == 1  # reserved once, not twice
        await deliveries.mark_sent(s, delivery=retried, request_id="req-1")
    async with db.session() as s:
        assert await deliveries.prepare_send(s, request=request) == SendOutcome(
            result="sent", request_id="req-1"
        )
        row = await s.get(Enrollment, eid)
    assert (row.status, row.current_step) == ("sending", "hi")

    async with db.session() as s:
        await friends.record_unfollow(s, user_id=friend, timestamp_ms=2, at=NOW)
    other = request.model_copy(update={"step_id": "next"})
    async with db.session() as s:
        assert await deliveries.prepare_send(s, request=other) == SendOutcome(result="blocked")


async def test_a_push_whose_answer_was_lost_before_a_block_ends_unconfirmed(db):
    """The worker died after pushing, before recording; the friend blocked meanwhile: the
    retry pushes nothing more, and the row no longer claims to be about to be sent."""
    friend = user(6)
    _, request = await active_scenario_and_follower(db, friend)
    async with db.session() as s:
        reserved = await deliveries.prepare_send(s, request=request)
    assert isinstance(reserved, Delivery)
    async with db.session() as s:
        await friends.record_unfollow(s, user_id=friend, timestamp_ms=2, at=NOW)
    async with db.session() as s:
        assert await deliveries.prepare_send(s, request=request) == SendOutcome(result="blocked")
    async with db.session() as s:
        row = await s.get(Delivery, (request.enrollment_id, "hi"))
    assert row.status == "unconfirmed" and row.retry_key == reserved.retry_key
    assert "blocked before LINE's answer" in row.error


async def test_failed_push_gives_the_cap_slot_back(db):
    scenario, request = await active_scenario_and_follower(db, user(4))
    async with db.session() as s:
        delivery = await deliveries.prepare_send(s, request=request)
    async with db.session() as s:
        await deliveries.mark_failed(s, delivery=delivery, error="The request body has 1 error(s)")
    async with db.session() as s:
        assert (await s.get(Scenario, scenario.id)).sent_count == 0
        again = await deliveries.prepare_send(s, request=request)
    assert again == SendOutcome(result="failed", error="The request body has 1 error(s)")


async def test_final_status_is_not_overwritten_by_a_late_live_one(db):
    status = EnrollmentStatus(
        enrollment_id="x:s:u:1", scenario_id="s", version=1, user_id=user(5), status="blocked"
    )
    async with db.session() as s:
        await enrollment_progress.record_status(s, status=status, at=NOW)
        await s.commit()
    async with db.session() as s:
        await enrollment_progress.record_status(
            s,
            status=status.model_copy(update={"status": "waiting", "step": "w"}),
            at=NOW,
            entered="w",
        )
        await s.commit()
    async with db.session() as s:
        row = await s.get(Enrollment, "x:s:u:1")
    assert (row.status, row.ended_at) == ("blocked", NOW)


async def test_status_transitions(db):
    async with db.session() as s:
        scenario = await scenarios.create_scenario(s, definition=DEFINITION)
        for action, expected in (
            ("activate", "active"),
            ("pause", "paused"),
            ("resume", "active"),
            ("end", "ended"),
        ):
            scenario = await scenarios.change_status(s, scenario=scenario, action=action)
            assert scenario.status == expected
        assert scenario.control_seq == 4
        try:
            await scenarios.change_status(s, scenario=scenario, action="resume")
        except ValueError as exc:
            assert "cannot resume a scenario that is ended" in str(exc)
        else:
            raise AssertionError("an ended scenario resumed")


async def test_a_push_reserved_when_its_enrollment_stops_ends_unconfirmed(db):
    """The worker died after pushing, before recording LINE's answer; the block reached the
    workflow before the retry did, so no retry looks at the row: the stop settles it."""
    friend = user(7)
    scenario, request = await active_scenario_and_follower(db, friend)
    async with db.session() as s:
        reserved = await deliveries.prepare_send(s, request=request)
    assert isinstance(reserved, Delivery)
    blocked = EnrollmentStatus(
        enrollment_id=request.enrollment_id,
        scenario_id=scenario.id,
        version=1,
        user_id=friend,
        status="blocked",
        step="hi",
    )
    async with db.session() as s:
        await enrollment_progress.record_statuses(s, [ProgressUpdate(status=blocked, at=NOW)])
        await s.commit()
    async with db.session() as s:
        row = await s.get(Delivery, (request.enrollment_id, "hi"))
    assert row.status == "unconfirmed" and "blocked before LINE's answer" in row.error
