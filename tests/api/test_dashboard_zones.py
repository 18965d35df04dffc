"""Times a person reads in the dashboard are in the scenario's timezone on its pages (a
friend's timeline: each entry in its scenario's), in the channel's (STEPLINE_TIMEZONE)
elsewhere, and always name their zone."""

import re

import pytest
from pydantic import ValidationError

from core.config import Settings
from tests.api.helpers import scenario, text
from tests.support.stack import user

MOMENT = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d "


async def test_each_page_shows_its_zone(shared):
    friend = user(0x20E)
    new_york = await shared.scenario(
        scenario(text("hello", "Hello"), name="New York", timezone="America/New_York")
    )
    await shared.follow(friend)
    page = await shared.api.get(f"/dashboard/scenarios/{new_york}")
    assert re.search(MOMENT + "E[SD]T", page.text), "the scenario's own zone"
    assert not re.search(MOMENT + "(UTC|JST)", page.text)

    listed = await shared.api.get("/dashboard/friends")
    assert re.search(MOMENT + "JST", listed.text), "the channel's zone, Asia/Tokyo by default"

    timeline = await shared.api.get(f"/dashboard/friends/{friend}")
    times = re.findall(r"<time>([^<]*)</time>", timeline.text)
    assert times and all(re.fullmatch(MOMENT + "(E[SD]T|JST)", t) for t in times), times
    assert any(t.endswith(("EST", "EDT")) for t in times)  # the enrollment's entries


async def test_the_channel_zone_is_a_setting(shared):
    services = shared.app.state.services
    kept = services.settings
    services.settings = kept.model_copy(update={"timezone": "UTC"})
    try:
        listed = await shared.api.get("/dashboard/friends")
    finally:
        services.settings = kept
    assert re.search(MOMENT + "UTC", listed.text)
    with pytest.raises(ValidationError, match="unknown IANA timezone 'Tokyo'"):
        Settings(STEPLINE_TIMEZONE="Tokyo")
