"""POST /webhooks/line under a burst: concurrent webhooks are recorded in shared
transactions (store/batches.py), each answered 200 only once its events are committed,
duplicates recorded and processed once, unfollows holding from the answer."""

import asyncio

import httpx
from sqlmodel import select

from store.pipeline_tables import Outbox
from store.tables import Friend, WebhookEvent
from tests.api.helpers import count, signed
from tests.api.test_webhook import follow, webhook
from tests.support.pipeline import dispatcher_stopped
from tests.support.stack import user


def unfollow(user_id: str, event_id: str, ts: int = 1_700_000_001_000) -> dict:
    return {
        "type": "unfollow",
        "mode": "active",
        "timestamp": ts,
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": event_id,
        "deliveryContext": {"isRedelivery": False},
    }


async def post_all(stack, payloads: list[dict]) -> list[httpx.Response]:
    """Every webhook at once, as LINE does under a burst."""
    limits = httpx.Limits(max_connections=len(payloads))
    async with httpx.AsyncClient(base_url=str(stack.api.base_url), limits=limits) as client:

        async def one(payload: dict) -> httpx.Response:
            body, headers = signed(payload)
            return await client.post("/webhooks/line", content=body, headers=headers)

        return await asyncio.gather(*(one(payload) for payload in payloads))


async def queued(stack) -> list[str]:
    """The webhook events waiting in the outbox to be acted on, in order."""
    async with stack.db.reading() as session:
        rows = await session.exec(
            select(Outbox).where(Outbox.kind == "webhook").order_by(Outbox.seq)
        )
        return [row.payload["event_id"] for row in rows]


async def test_concurrent_webhooks_share_transactions_and_are_all_recorded(stack):
    services = stack.app.state.services
    writer = services.webhook_writer
    before = (writer.batches, writer.items)
    payloads = [
        webhook(*(follow(user(4000 + 3 * n + k), f"01JBURST{n:04d}{k:014d}") for k in range(3)))
        for n in range(40)
    ]
    async with dispatcher_stopped(stack):
        answers = await post_all(stack, payloads)
        assert [answer.status_code for answer in answers] == [200] * 40
        # each answered only once its events (and their outbox rows) were committed
        assert await count(stack, WebhookEvent) == 120
        batches, items = writer.batches - before[0], writer.items - before[1]
        assert items == 40 and batches < 40, (batches, items)
        assert sorted(await queued(stack)) == sorted(
            f"01JBURST{n:04d}{k:014d}" for n in range(40) for k in range(3)
        )
    await stack.settle()
    async with stack.db.session() as session:
        events = list(await session.exec(select(WebhookEvent)))
        following = list(await session.exec(select(Friend).where(Friend.following)))
    assert {(event.attempts, event.processed_at is not None) for event in events} == {(1, True)}
    assert len(following) == 120 and {friend.epoch for friend in following} == {1}


async def test_an_event_in_several_concurrent_webhooks_is_recorded_and_processed_once(stack):
    shared = follow(user(4200), "01JSHARED00000000000000000")
    payloads = [
        webhook(shared, follow(user(4201 + n), f"01JOWN{n:020d}"), shared) for n in range(20)
    ]
    async with dispatcher_stopped(stack):
        answers = await post_all(stack, payloads)
        assert [answer.status_code for answer in answers] == [200] * 20
        assert await count(stack, WebhookEvent) == 21
        submitted = await queued(stack)
        assert submitted.count("01JSHARED00000000000000000") == 1 and len(submitted) == 21
        # and a redelivery of all of them later: acknowledged, nothing new
        again = await post_all(stack, payloads[:5])
        assert [answer.status_code for answer in again] == [200] * 5
        assert len(await queued(stack)) == 21
    await stack.settle()
    async with stack.db.session() as session:
        event = await session.get(WebhookEvent, "01JSHARED00000000000000000")
        friend = await session.get(Friend, user(4200))
    assert (event.attempts, event.processed_at is not None) == (1, True)
    assert (friend.following, friend.epoch) == (True, 1)


async def test_concurrent_unfollows_hold_from_the_answer(stack):
    """The dispatcher lags: every block acknowledged in the burst is in the store already."""
    friends = [user(4300 + n) for n in range(15)]
    await post_all(stack, [webhook(follow(f, f"01JF{n:022d}")) for n, f in enumerate(friends)])
    await stack.settle()
    payloads = [webhook(unfollow(f, f"01JU{n:022d}")) for n, f in enumerate(friends)]
    payloads.append(webhook(unfollow(friends[0], "01JU" + "9" * 22, ts=1_700_000_002_000)))
    async with dispatcher_stopped(stack):
        answers = await post_all(stack, payloads)
        assert [answer.status_code for answer in answers] == [200] * 16
        assert len(await queued(stack)) == 16
        async with stack.db.session() as session:
            rows = list(await session.exec(select(Friend).where(Friend.user_id.in_(friends))))
    assert len(rows) == 15
    assert {(row.following, row.blocked_at is not None) for row in rows} == {(False, True)}
    first = next(row for row in rows if row.user_id == friends[0])
    assert first.state_at_ms == 1_700_000_002_000  # the later of its two unfollows


async def test_follows_processed_at_the_same_moment_share_transactions(stack):
    """The dispatcher evaluates follows waiting at the same moment (friend, profile,
    enrollment rows, start commands, the events' processed marks) in shared transactions;
    every friend is enrolled and every event marked once."""
    scenario_id = await stack.scenario(
        {
            "name": "burst",
            "trigger": {"type": "follow"},
            "steps": [{"id": "w", "type": "wait", "duration": "P7D"}],
        }
    )
    friends = [user(600 + n) for n in range(40)]
    payloads = [
        webhook(follow(friend, event_id=f"01JBURSTFOLLOW{n:012d}", ts=1_700_000_000_000 + n))
        for n, friend in enumerate(friends)
    ]
    dispatcher = stack.dispatcher
    async with dispatcher_stopped(stack):
        assert {answer.status_code for answer in await post_all(stack, payloads)} == {200}
        before = (dispatcher.transactions, dispatcher.evaluated)
    await stack.settle()
    transactions = dispatcher.transactions - before[0]
    assert dispatcher.evaluated - before[1] == 40 and transactions < 40, transactions
    for friend in friends:
        await stack.until_enrolled(scenario_id, friend)
    async with stack.db.reading() as session:
        events = list(await session.exec(select(WebhookEvent)))
    assert len(events) == 40
    assert all(event.processed_at is not None and event.attempts == 1 for event in events)
