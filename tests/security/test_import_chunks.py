"""A large CSV import is merged CHUNK friends a transaction (no writer waits for the whole
file), and its operation still counts every friend once and finishes: with changes in any
chunk, or none at all."""

import pytest
from sqlalchemy import event

from app import friend_import
from tests.api.test_import import post_csv, uid

CHUNK = 100  # the route's 2,000, made small: the same code path, three chunks of a small file
ROWS = 2 * CHUNK + 50


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(friend_import, "CHUNK", CHUNK)


def csv_of(plan_of) -> str:
    return "user_id,plan\n" + "".join(f"{uid(50_000 + n)},{plan_of(n)}\n" for n in range(ROWS))


async def test_only_a_later_chunk_changing_still_finishes_the_operation(shared):
    first = await post_csv(shared, csv_of(lambda n: "free"))
    assert first.status_code == 200 and first.json()["operation"]["total"] == ROWS
    commits: list[int] = []
    engine = shared.db.engine.sync_engine
    listener = lambda connection: commits.append(1)  # noqa: E731
    event.listen(engine, "commit", listener)
    try:  # only friends of the middle chunk change plan
        again = await post_csv(
            shared, csv_of(lambda n: "gold" if CHUNK <= n < CHUNK + 10 else "free")
        )
    finally:
        event.remove(engine, "commit", listener)
    assert again.status_code == 200, again.text
    body = again.json()
    assert (body["imported"], body["created"], body["updated"]) == (ROWS, 0, ROWS)
    assert len(commits) >= 3  # a transaction a chunk, not one for the file
    operation = body["operation"]
    assert operation["total"] == ROWS - CHUNK  # from the first chunk that changed anything on
    await shared.settle()
    done = (await shared.api.get(operation["url"])).json()
    assert (done["status"], done["done"]) == ("done", ROWS - CHUNK)
    unchanged = await post_csv(
        shared, csv_of(lambda n: "gold" if CHUNK <= n < CHUNK + 10 else "free")
    )
    assert "operation" not in unchanged.json()
