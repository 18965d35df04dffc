"""Importing friends' attributes from the dashboard: the dry run first (what
`POST /friends/import?dry_run=true` answers), then the import once confirmed — on any API
replica (the upload waits in the database they share), and once."""

import asyncio
from contextlib import asynccontextmanager
from types import SimpleNamespace

from api.app import create_app
from app import friend_import
from core.serve import serving
from store import import_uploads
from tests.operator.signed_in import csrf, operator
from tests.support.stack import user

GOOD = f"user_id,plan,age\n{user(0x901)},gold,27\n{user(0x902)},free,\n".encode()
BAD = f"user_id,plan\n{user(0x903)},gold\nnot-a-user,free\n{user(0x904)},a,b\n".encode()


async def upload(client, data: bytes, name: str = "friends.csv"):
    return await client.post(
        "/dashboard/friends/import",
        data={"csrf": csrf(client)},
        files={"file": (name, data, "text/csv")},
    )


async def test_a_file_is_dry_run_then_imported_once_confirmed(shared):
    await shared.api.put(f"/friends/{user(0x902)}/attributes", json={"plan": "trial"})
    async with operator(shared) as client:
        form = await client.get("/dashboard/friends/import")
        assert form.status_code == 200 and 'id="import-form"' in form.text
        checked = await upload(client, GOOD)
        assert checked.status_code == 303
        place = checked.headers["location"]
        dry = await client.get(place)
        api = (
            await shared.api.post(
                "/friends/import", params={"dry_run": "true"}, content=GOOD,
                headers={"content-type": "text/csv"},
            )
        ).json()  # fmt: skip
        assert (api["imported"], api["created"], api["updated"]) == (2, 1, 1)
        assert "2 rows: 1 new friends" in dry.text and "1 existing" in dry.text
        assert "<code>age</code>" in dry.text and 'id="confirm-form"' in dry.text
        assert (await shared.api.get(f"/friends/{user(0x901)}")).status_code == 404

        done = await client.post(place, data={"csrf": csrf(client)})
        assert done.status_code == 303 and done.headers["location"] == place
        assert (await shared.api.get(f"/friends/{user(0x901)}")).json()["attributes"] == {
            "plan": "gold", "age": 27
        }  # fmt: skip
        assert (await shared.api.get(f"/friends/{user(0x902)}")).json()["attributes"] == {
            "plan": "free"
        }
        result = await client.get(place)
        assert 'id="import-result"' in result.text and "2 rows imported" in result.text
        again = await client.post(place, data={"csrf": csrf(client)})  # a double click
        assert again.status_code == 303
        async with shared.db.reading() as session:  # the file is not kept
            assert await import_uploads.data_of(session, place.rsplit("/", 1)[1]) is None


async def test_a_file_with_problems_lists_them_by_line_and_writes_nothing(shared):
    async with operator(shared) as client:
        answer = await upload(client, BAD)
        assert answer.status_code == 422
        assert 'data-path="line 3.user_id"' in answer.text
        assert 'data-path="line 4"' in answer.text
        assert (await shared.api.get(f"/friends/{user(0x903)}")).status_code == 404
        none = await client.post("/dashboard/friends/import", data={"csrf": csrf(client)})
        assert none.status_code == 422 and 'data-path="file"' in none.text
        excel = await upload(client, b"PK\x03\x04rest", "book.xlsx")
        assert excel.status_code == 422 and "Excel workbook" in excel.text


async def test_posts_need_the_token_and_unknown_uploads_are_404(shared):
    async with operator(shared) as client:
        refused = await client.post(
            "/dashboard/friends/import", files={"file": ("f.csv", GOOD, "text/csv")}
        )
        assert refused.status_code == 403
        place = (await upload(client, GOOD)).headers["location"]
        assert (await client.post(place)).status_code == 403
        for path in ("0" * 32, "../../etc/passwd", "abc"):
            assert (await client.get(f"/dashboard/friends/import/{path}")).status_code == 404
        gone = await client.post(
            f"/dashboard/friends/import/{'f' * 32}", data={"csrf": csrf(client)}
        )
        assert gone.status_code == 404
        escaped = await upload(client, b"user_id,<b>x</b>\n" + user(0x905).encode() + b",1\n",
                               "<i>f</i>.csv")  # fmt: skip
        page = await client.get(escaped.headers["location"])
        assert "<b>x</b>" not in page.text and "<i>f</i>" not in page.text


@asynccontextmanager
async def replica(shared):
    """Another API process on the same database, as a second replica behind a load balancer
    (the first one's dispatcher acts on what either records)."""
    settings = shared.settings.model_copy(update={"webhook_processor": "worker"})
    async with serving(create_app(settings, temporal=shared.env.client)) as url:
        yield SimpleNamespace(api=SimpleNamespace(base_url=url))


async def test_an_upload_checked_on_one_replica_is_confirmed_on_another(shared):
    data = f"user_id,tier\n{user(0x911)},silver\n".encode()
    async with replica(shared) as other, operator(shared) as first, operator(other) as second:
        place = (await upload(first, data)).headers["location"]
        dry = await second.get(place)
        assert dry.status_code == 200 and 'id="confirm-form"' in dry.text
        done = await second.post(place, data={"csrf": csrf(second)})
        assert done.status_code == 303 and done.headers["location"] == place
        assert (await shared.api.get(f"/friends/{user(0x911)}")).json()["attributes"] == {
            "tier": "silver"
        }
        for client in (first, second):  # either replica shows the result
            assert "1 rows imported" in (await client.get(place)).text


async def test_two_replicas_confirming_at_once_import_once(shared, monkeypatch):
    merged = []
    merge = friend_import.merge_in_chunks

    async def slow_merge(db, parsed):  # both confirmations arrive while it imports
        merged.append(sorted(parsed.rows))
        await asyncio.sleep(0.5)
        return await merge(db, parsed)

    monkeypatch.setattr(friend_import, "merge_in_chunks", slow_merge)
    data = f"user_id,tier\n{user(0x921)},gold\n{user(0x922)},gold\n".encode()
    async with replica(shared) as other, operator(shared) as first, operator(other) as second:
        place = (await upload(first, data)).headers["location"]
        answers = await asyncio.gather(
            first.post(place, data={"csrf": csrf(first)}),
            second.post(place, data={"csrf": csrf(second)}),
            second.post(place, data={"csrf": csrf(second)}),
        )
        assert [answer.status_code for answer in answers] == [303, 303, 303]
        assert merged == [[user(0x921), user(0x922)]]  # imported once
        for client in (first, second):  # each waited for the result, which is shown
            assert "2 rows imported" in (await client.get(place)).text
        await first.post(place, data={"csrf": csrf(first)})  # later still: the result
        assert len(merged) == 1
