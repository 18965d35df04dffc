"""A delivery goes in exactly one request (store/multicasts.py): of two attempts of it running
at once, one puts it in a batch or its own push and the other finds it taken — on SQLite and
PostgreSQL."""

from sqlmodel import select

from store import multicasts
from store.multicast_table import MulticastBatch
from store.tables import Delivery

USERS = ["U" + str(n) * 32 for n in range(1, 4)]


async def reserved(db) -> list[Delivery]:
    async with db.session() as session:
        rows = [
            Delivery(
                enrollment_id=f"enrollment:s:{user}:1",
                step_id="sale",
                scenario_id="s",
                user_id=user,
                retry_key=f"key-{n}",
            )
            for n, user in enumerate(USERS)
        ]
        session.add_all(rows)
        await session.commit()
    return [Delivery.model_validate(row.model_dump()) for row in rows]


async def test_a_row_in_a_request_is_taken_by_no_other(db):
    first, second, third = await reserved(db)
    async with db.session() as session:
        assert await multicasts.claim(session, [first], first.retry_key)  # pushed alone
        await session.commit()
    async with db.session() as session:  # a batch of all three, made at the same time
        batch = await multicasts.record(
            session, [first, second, third], scenario_id="s", version=1, step_id="sale",
            silent=False,
        )  # fmt: skip
        await session.commit()
    assert batch.user_ids == USERS[1:]  # the first is in its own push already
    async with db.session() as session:  # a second batch finds every row taken
        again = await multicasts.record(
            session, [second, third], scenario_id="s", version=1, step_id="sale", silent=False
        )
        assert not again.user_ids
        assert not await multicasts.claim(session, [second], second.retry_key)
        await session.commit()
        stored = {row.user_id: row.batch for row in await session.exec(select(Delivery))}
        batches = list(await session.exec(select(MulticastBatch)))
    assert stored == {USERS[0]: "key-0", USERS[1]: batch.id, USERS[2]: batch.id}
    assert [b.id for b in batches] == [batch.id]  # the empty one was never written


async def test_a_row_no_longer_reserved_goes_in_no_request(db):
    first, *_ = await reserved(db)
    async with db.session() as session:
        row = await session.get(Delivery, (first.enrollment_id, first.step_id))
        row.status = "unconfirmed"
        await session.commit()
        assert not await multicasts.claim(session, [first], "batch")
