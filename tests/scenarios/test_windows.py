"""Delivery windows (配信時間帯) in a scenario's timezone: core/windows.py."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.windows import in_window, local_text, next_opening

TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")


def tokyo(*args: int) -> datetime:
    """A Tokyo wall-clock time, as the UTC instant the workflow clock would give."""
    return datetime(*args, tzinfo=TOKYO).astimezone(UTC)


@pytest.mark.parametrize(
    ("hour", "minute", "inside"),
    [
        (9, 59, False),
        (10, 0, True),  # the start is inside
        (15, 30, True),
        (19, 59, True),
        (20, 0, False),  # the end is outside
        (23, 0, False),
        (0, 0, False),
    ],
)
def test_day_window(hour: int, minute: int, inside: bool) -> None:
    assert in_window(tokyo(2026, 11, 2, hour, minute), "Asia/Tokyo", "10:00", "20:00") is inside


def test_window_is_read_in_the_scenario_timezone() -> None:
    # 02:00 UTC is 11:00 in Tokyo (inside) but 21:00 the day before in New York (outside).
    now = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    assert in_window(now, "Asia/Tokyo", "10:00", "20:00")
    assert not in_window(now, "America/New_York", "10:00", "20:00")


@pytest.mark.parametrize(
    ("hour", "minute", "inside"),
    [
        (21, 59, False),
        (22, 0, True),
        (23, 0, True),
        (0, 0, True),
        (1, 59, True),
        (2, 0, False),
        (12, 0, False),
    ],
)
def test_window_spanning_midnight(hour: int, minute: int, inside: bool) -> None:
    assert in_window(tokyo(2026, 11, 2, hour, minute), "Asia/Tokyo", "22:00", "02:00") is inside


def test_next_opening_is_now_when_inside() -> None:
    now = tokyo(2026, 11, 2, 12, 34, 56)
    assert next_opening(now, "Asia/Tokyo", "10:00", "20:00") == now


def test_next_opening_later_today() -> None:
    now = tokyo(2026, 11, 2, 7, 15)
    assert next_opening(now, "Asia/Tokyo", "10:00", "20:00") == tokyo(2026, 11, 2, 10, 0)


def test_next_opening_tomorrow_after_closing() -> None:
    for hour, minute in ((20, 0), (23, 59)):
        now = tokyo(2026, 11, 2, hour, minute)
        assert next_opening(now, "Asia/Tokyo", "10:00", "20:00") == tokyo(2026, 11, 3, 10, 0)


def test_next_opening_across_a_month_end() -> None:
    now = tokyo(2026, 11, 30, 21, 0)
    assert next_opening(now, "Asia/Tokyo", "10:00", "20:00") == tokyo(2026, 12, 1, 10, 0)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (tokyo(2026, 11, 2, 23, 0), tokyo(2026, 11, 2, 23, 0)),  # inside, before midnight
        (tokyo(2026, 11, 3, 1, 59), tokyo(2026, 11, 3, 1, 59)),  # inside, after midnight
        (tokyo(2026, 11, 3, 2, 0), tokyo(2026, 11, 3, 22, 0)),  # just closed: tonight
        (tokyo(2026, 11, 3, 12, 0), tokyo(2026, 11, 3, 22, 0)),
        (tokyo(2026, 11, 3, 21, 59), tokyo(2026, 11, 3, 22, 0)),
    ],
)
def test_next_opening_spanning_midnight(now: datetime, expected: datetime) -> None:
    assert next_opening(now, "Asia/Tokyo", "22:00", "02:00") == expected


@pytest.mark.parametrize(
    "now",
    [
        tokyo(2026, 11, 2, 12, 0),  # inside
        tokyo(2026, 11, 2, 7, 0),  # opens today
        tokyo(2026, 11, 2, 21, 0),  # opens tomorrow
        datetime(2026, 11, 2, 12, 0, tzinfo=TOKYO),  # inside, given in local time
        datetime(2026, 11, 2, 21, 0, tzinfo=TOKYO),  # outside, given in local time
    ],
)
def test_next_opening_is_utc_aware(now: datetime) -> None:
    opening = next_opening(now, "Asia/Tokyo", "10:00", "20:00")
    assert opening.tzinfo is not None
    assert opening.utcoffset() == timedelta(0)
    assert opening >= now


def test_next_opening_in_new_york_across_the_march_change() -> None:
    # Clocks go forward on Sunday 2026-03-08: Saturday 10:00 is EST (UTC-5), Sunday 10:00 is
    # EDT (UTC-4).
    saturday_evening = datetime(2026, 3, 7, 21, 0, tzinfo=NEW_YORK)  # 02:00 UTC on the 8th
    opening = next_opening(saturday_evening, "America/New_York", "10:00", "20:00")
    assert opening == datetime(2026, 3, 8, 14, 0, tzinfo=UTC)
    friday_night = datetime(2026, 3, 6, 22, 0, tzinfo=NEW_YORK)
    opening = next_opening(friday_night, "America/New_York", "10:00", "20:00")
    assert opening == datetime(2026, 3, 7, 15, 0, tzinfo=UTC)


def test_next_opening_in_new_york_across_the_november_change() -> None:
    # Clocks go back on Sunday 2026-11-01: Saturday 10:00 is EDT, Sunday 10:00 is EST.
    saturday_evening = datetime(2026, 10, 31, 21, 0, tzinfo=NEW_YORK)
    opening = next_opening(saturday_evening, "America/New_York", "10:00", "20:00")
    assert opening == datetime(2026, 11, 1, 15, 0, tzinfo=UTC)
    # Just after the change (01:30 EST, the second 01:30 of the night) the window still opens
    # at 10:00 local time.
    after_change = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    opening = next_opening(after_change, "America/New_York", "10:00", "20:00")
    assert opening == datetime(2026, 11, 1, 15, 0, tzinfo=UTC)


def test_in_window_follows_new_york_summer_time() -> None:
    # 14:30 UTC is 09:30 EST in winter (closed) and 10:30 EDT in summer (open).
    assert not in_window(
        datetime(2026, 1, 15, 14, 30, tzinfo=UTC), "America/New_York", "10:00", "20:00"
    )
    assert in_window(
        datetime(2026, 7, 15, 14, 30, tzinfo=UTC), "America/New_York", "10:00", "20:00"
    )


def test_local_text() -> None:
    when = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    assert local_text(when, "Asia/Tokyo") == "2026-11-02 10:00 JST"
    assert local_text(when, "America/New_York") == "2026-11-01 20:00 EST"
    assert local_text(datetime(2026, 7, 1, 14, 0, tzinfo=UTC), "America/New_York") == (
        "2026-07-01 10:00 EDT"
    )
