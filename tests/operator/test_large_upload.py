"""A file of 100,000 user IDs added to an upload audience from the dashboard: added a chunk a
transaction, while other requests (/healthz, /readyz, which reads the database) are answered
meanwhile."""

import asyncio
import time

import httpx

from api.routes.health import TIMEOUT
from tests.operator.signed_in import csrf, operator
from tests.support.stack import user

MEMBERS = 100_000


async def test_a_file_of_100000_user_ids_holds_up_no_other_request(shared):
    data = "".join(f"{user(0x100000 + n)}\n" for n in range(MEMBERS)).encode()
    plain = httpx.AsyncClient(base_url=str(shared.api.base_url), timeout=30)  # no settling hook
    async with operator(shared) as client, plain:
        first = await client.post(
            "/dashboard/audiences",
            data={"csrf": csrf(client), "name": "Everyone", "kind": "upload"},
        )
        audience_id = first.headers["location"].rsplit("/", 1)[1]
        started = time.monotonic()
        upload = asyncio.create_task(
            client.post(
                f"/dashboard/audiences/{audience_id}/members",
                data={"csrf": csrf(client)}, files={"file": ("all.txt", data, "text/plain")},
            )
        )  # fmt: skip
        waits: dict[str, list[float]] = {"/healthz": [], "/readyz": []}
        while not upload.done():
            for path, took in waits.items():
                asked = time.monotonic()
                health = await plain.get(path)
                assert health.status_code in (200, 503)
                took.append(time.monotonic() - asked)
            await asyncio.sleep(0.05)
        answer = await upload
        took = time.monotonic() - started
    assert answer.status_code == 303, answer.text
    assert (await shared.api.get(f"/audiences/{audience_id}")).json()["size"] == MEMBERS
    assert len(waits["/healthz"]) >= 3, took  # answered again and again while the file was added
    # the loop answers at once; a page that reads the database within its own checks' time
    assert max(waits["/healthz"]) < 2.0, (waits, took)
    assert max(waits["/readyz"]) < TIMEOUT + 1.0, (waits, took)
