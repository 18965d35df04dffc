"""A signed body of hundreds of events is answered in the time of a few hundred: the first
INLINE_EVENTS are recorded before the answer, the rest go into the outbox in the same
transaction as they came (durable before LINE hears 200) and the dispatcher records them."""

from sqlmodel import select

from store.pipeline_tables import Outbox
from store.tables import Friend, WebhookEvent
from tests.api.helpers import count, signed
from tests.api.test_webhook import follow, post, webhook
from tests.support.pipeline import dispatcher_stopped
from tests.support.stack import user
from triggers.record import BATCH_EVENTS, INLINE_EVENTS

EVENTS = 750  # 200 before the answer, then batches of 500 and 50


def body_of(first: int) -> tuple[bytes, dict]:
    events = [
        follow(user(first + n), event_id=f"01LARGE{first + n:019d}", ts=1_790_000_000_000 + n)
        for n in range(EVENTS)
    ]
    return signed(webhook(*events))


async def test_a_large_body_is_durable_at_once_and_recorded_whole(stack):
    body, headers = body_of(20_000)
    async with dispatcher_stopped(stack):
        answer = await post(stack, body, headers)
        assert answer.status_code == 200, answer.text
        assert await count(stack, WebhookEvent) == INLINE_EVENTS
        async with stack.db.session() as session:
            batches = list(await session.exec(select(Outbox).where(Outbox.kind == "webhook_batch")))
        rest = EVENTS - INLINE_EVENTS
        assert [len(row.payload["rows"]) for row in batches] == [
            min(BATCH_EVENTS, rest - start) for start in range(0, rest, BATCH_EVENTS)
        ]
    await stack.settle(timeout=120)
    assert await count(stack, WebhookEvent) == EVENTS
    assert await count(stack, Friend, Friend.following) == EVENTS
    async with stack.db.session() as session:
        left = list(
            await session.exec(select(WebhookEvent).where(WebhookEvent.processed_at.is_(None)))
        )
    assert left == []
    again = await post(stack, body, headers)  # LINE redelivers it: nothing twice
    assert again.status_code == 200
    await stack.settle(timeout=120)
    assert await count(stack, WebhookEvent) == EVENTS
