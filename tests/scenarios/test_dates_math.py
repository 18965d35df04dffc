"""core/dates.py: when (a date attribute + an offset) comes at a wall clock time in the
scenario's timezone, once or every year. Every answer is an exact UTC instant."""

from datetime import UTC, date, datetime

import pytest

from core.dates import next_occurrence, parse_date
from domain.dates import date_words, parse_offset


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "days"),
    [("-P7D", -7), ("P3D", 3), ("P0D", 0), ("-P1W", -7), ("P1W2D", 9), ("-P365D", -365)],
)
def test_offsets(text, days):
    assert parse_offset(text) == days


@pytest.mark.parametrize("text", ["P366D", "-PT12H", "P1M", "7", "", "P", "-P", "P1Y", None, 7])
def test_bad_offsets(text):
    with pytest.raises(ValueError, match="days"):
        parse_offset(text)


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("1990-12-08", date(1990, 12, 8)),
        ("2026-12-08T23:30:00+09:00", date(2026, 12, 8)),
        ("2026-12-08T10:00:00", date(2026, 12, 8)),
        (" 2000-02-29 ", date(2000, 2, 29)),
        ("2001-02-29", None),
        ("12/08/1990", None),
        ("", None),
        (19901208, None),
        (None, None),
        (True, None),
        ("x" * 100, None),
    ],
)
def test_dates(value, day):
    assert parse_date(value) == day


def test_birthday_seven_days_before_at_ten_tokyo():
    moment = next_occurrence(
        "1990-12-20", "-P7D", "10:00", "Asia/Tokyo", yearly=True, after=utc(2026, 12, 1)
    )
    assert moment == utc(2026, 12, 13, 1)  # 10:00 JST


def test_yearly_moves_to_next_year_once_passed():
    moment = next_occurrence(
        "1990-12-20", "-P7D", "10:00", "Asia/Tokyo", yearly=True, after=utc(2026, 12, 13, 1)
    )
    assert moment == utc(2027, 12, 13, 1)


def test_offset_crossing_the_year_boundary():
    # Jan 3 with -P7D: Dec 27 of the year before
    moment = next_occurrence(
        "1985-01-03", "-P7D", "10:00", "Asia/Tokyo", yearly=True, after=utc(2026, 12, 1)
    )
    assert moment == utc(2026, 12, 27, 1)
    after = next_occurrence("1985-01-03", "-P7D", "10:00", "Asia/Tokyo", yearly=True, after=moment)
    assert after == utc(2027, 12, 27, 1)


def test_positive_offset_crossing_into_next_year():
    moment = next_occurrence(
        "1985-12-30", "P5D", "09:00", "UTC", yearly=True, after=utc(2026, 1, 2)
    )
    assert moment == utc(2026, 1, 4, 9)  # Dec 30, 2025 + 5 days


def test_feb_29_birthday_in_years_without_one():
    assert next_occurrence(
        "2000-02-29", "P0D", "10:00", "UTC", yearly=True, after=utc(2026, 1, 1)
    ) == utc(2026, 2, 28, 10)
    assert next_occurrence(
        "2000-02-29", "P0D", "10:00", "UTC", yearly=True, after=utc(2028, 1, 1)
    ) == utc(2028, 2, 29, 10)


def test_new_york_across_dst():
    summer = next_occurrence(
        "1990-07-04", "P0D", "10:00", "America/New_York", yearly=True, after=utc(2026, 1, 1)
    )
    winter = next_occurrence(
        "1990-12-04", "P0D", "10:00", "America/New_York", yearly=True, after=utc(2026, 1, 1)
    )
    assert summer == utc(2026, 7, 4, 14)  # EDT, UTC-4
    assert winter == utc(2026, 12, 4, 15)  # EST, UTC-5


def test_a_skipped_clock_time_is_when_the_clock_jumps_past_it():
    # 2026-03-08 02:30 does not exist in New York: the clock jumps from 02:00 EST to 03:00 EDT
    moment = next_occurrence(
        "2026-03-08", "P0D", "02:30", "America/New_York", yearly=False, after=utc(2026, 1, 1)
    )
    assert moment == utc(2026, 3, 8, 7)


def test_a_clock_time_read_twice_is_its_first_reading():
    moment = next_occurrence(
        "2026-11-01", "P0D", "01:30", "America/New_York", yearly=False, after=utc(2026, 1, 1)
    )
    assert moment == utc(2026, 11, 1, 5, 30)  # 01:30 EDT, the first of the two


def test_once_in_the_future_and_in_the_past():
    assert next_occurrence(
        "2026-12-08", "-P3D", "10:00", "Asia/Tokyo", yearly=False, after=utc(2026, 12, 1)
    ) == utc(2026, 12, 5, 1)
    assert (
        next_occurrence(
            "2026-12-08", "-P3D", "10:00", "Asia/Tokyo", yearly=False, after=utc(2026, 12, 6)
        )
        is None
    )


def test_the_local_day_counts_not_the_utc_one():
    # 2026-12-31 23:00 UTC is already Jan 1 in Tokyo: this year's Jan 1 10:00 JST is next
    moment = next_occurrence(
        "1990-01-01", "P0D", "10:00", "Asia/Tokyo", yearly=True, after=utc(2026, 12, 31, 23)
    )
    assert moment == utc(2027, 1, 1, 1)


def test_no_date_no_moment():
    for value in (None, "soon", 3, "2026-13-01"):
        assert (
            next_occurrence(value, "P0D", "10:00", "UTC", yearly=True, after=utc(2026, 1, 1))
            is None
        )


def test_words():
    assert date_words("point_expiry", "-P3D", "10:00") == "point_expiry − 3 days at 10:00"
    assert date_words("birthday", "P0D", "09:00") == "birthday at 09:00"
    assert date_words("joined", "P1D", "09:00") == "joined + 1 day at 09:00"
