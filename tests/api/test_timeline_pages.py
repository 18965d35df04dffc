"""A friend's long timeline comes in pages: the newest entries, then with `before` the ones
before them — in the API and on the friend's dashboard page ("Older entries")."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from store.tables import Event
from tests.support.stack import user

FRIEND = user(0x7A11)
START = datetime(2026, 11, 1, tzinfo=UTC)
EVENTS = 260  # more than the dashboard's 200


async def test_older_entries_come_page_by_page(shared):
    await shared.follow(FRIEND)
    async with shared.db.session() as session:
        session.add_all(
            Event(user_id=FRIEND, name=f"visit{n}", occurred_at=START + timedelta(minutes=n))
            for n in range(EVENTS)
        )
        await session.commit()
    newest = (await shared.api.get(f"/friends/{FRIEND}/timeline", params={"limit": 100})).json()
    assert newest["truncated"] and len(newest["entries"]) == 100
    oldest_shown = newest["entries"][0]["at"]
    older = await shared.api.get(
        f"/friends/{FRIEND}/timeline", params={"limit": 100, "before": oldest_shown}
    )
    assert older.status_code == 200, older.text
    page = older.json()
    assert all(entry["at"] <= oldest_shown for entry in page["entries"])
    names = [entry["detail"].get("name") for entry in page["entries"] if entry["kind"] == "event"]
    assert names[-1] == newest["entries"][0]["detail"]["name"]  # at the boundary: shown again
    # the newest page: the follow (today) and visit161…visit259; this one the 100 up to visit161
    assert names[0] == "visit62" and len(names) == 100

    dashboard = await shared.api.get(f"/dashboard/friends/{FRIEND}")
    assert dashboard.status_code == 200 and "Older entries" in dashboard.text
    link = dashboard.text.split('class="older" href="', 1)[1].split('"', 1)[0]
    before = parse_qs(urlsplit(link.replace("&amp;", "&")).query)["before"][0]
    paged = await shared.api.get(f"/dashboard/friends/{FRIEND}", params={"before": before})
    assert paged.status_code == 200
    assert "visit59" in paged.text and "visit259" not in paged.text
    assert "newest entries" in paged.text


async def test_a_bad_before_is_a_422_naming_it(shared):
    await shared.follow(FRIEND)
    for value in ("yesterday", "0001-01-01T00:00:00+14:00"):
        answer = await shared.api.get(f"/friends/{FRIEND}/timeline", params={"before": value})
        assert answer.status_code == 422 and "before" in answer.text
        page = await shared.api.get(f"/dashboard/friends/{FRIEND}", params={"before": value})
        assert page.status_code == 422 and "before" in page.text
