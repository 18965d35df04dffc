"""Closed days as an operator writes them (core/closed_days.py): a day, a range, the same days
every year (over the year's end too), and what a mistyped entry is told."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from core.calendar import next_allowed
from core.closed_days import closed_on, parse
from scenarios.policy import ChannelPolicy

TOKYO = ZoneInfo("Asia/Tokyo")


def closed(*entries: str):
    return tuple(parse(entry) for entry in entries)


@pytest.mark.parametrize(
    ("entries", "day", "shut"),
    [
        (("2026-12-31",), date(2026, 12, 31), True),
        (("2026-12-31",), date(2027, 12, 31), False),  # dated: that year only
        (("2026-12-29/2027-01-03",), date(2027, 1, 3), True),  # both ends included
        (("2026-12-29/2027-01-03",), date(2027, 1, 4), False),
        (("12-31",), date(2031, 12, 31), True),  # every year
        (("12-29/01-03",), date(2030, 12, 30), True),  # over the year's end
        (("12-29/01-03",), date(2031, 1, 2), True),
        (("12-29/01-03",), date(2031, 1, 4), False),
        (("12-29/01-03",), date(2031, 6, 1), False),
        (("08-13/08-16",), date(2027, 8, 14), True),
        (("08-13/08-16",), date(2027, 8, 17), False),
        (("02-29",), date(2028, 2, 29), True),
        ((), date(2026, 12, 31), False),
    ],
)
def test_which_days_are_closed(entries, day, shut):
    assert closed_on(day, closed(*entries)) is shut


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        ("2026-13-01", "'2026-13-01' is not a date"),
        ("13-01", "'13-01' is not a day of the year (MM-DD)"),
        ("2026-12-31/2026-12-01", "'2026-12-31/2026-12-01' ends before it starts"),
        ("2026-01-01/2027-06-01", "'2026-01-01/2027-06-01' is longer than a year"),
        ("12-29/2027-01-03", "'12-29/2027-01-03' is not a closed day: write YYYY-MM-DD"),
        ("next tuesday", "'next tuesday' is not a closed day: write YYYY-MM-DD"),
    ],
)
def test_a_mistyped_entry_is_refused_naming_its_place(entry, said):
    with pytest.raises(ValidationError) as caught:
        ChannelPolicy(closed_days=["12-31", entry])
    (error,) = caught.value.errors()
    assert error["loc"] == ("closed_days", 1)
    assert error["msg"].removeprefix("Value error, ").startswith(said)


def test_the_policy_keeps_the_entries_as_written_and_counts_them_as_calendar_rules():
    policy = ChannelPolicy(closed_days=[" 12-29/01-03 ", "2026-08-14"])
    assert policy.closed_days == ("12-29/01-03", "2026-08-14")
    assert policy.calendar_rules
    assert not ChannelPolicy().calendar_rules


def test_a_message_due_in_a_year_end_closure_goes_the_day_after_it_in_the_scenarios_zone():
    due = datetime(2026, 12, 30, 10, 0, tzinfo=TOKYO)
    allowed = next_allowed(due, "Asia/Tokyo", closed=("12-29/01-03",), quiet=("21:00", "09:00"))
    assert allowed == datetime(2027, 1, 4, 9, 0, tzinfo=TOKYO)  # and after the quiet hours
    # 2026-12-28 23:30 UTC is already the 29th in Tokyo, still the 28th in New York
    late = datetime(2026, 12, 28, 23, 30, tzinfo=UTC)
    assert next_allowed(late, "Asia/Tokyo", closed=("12-29/01-03",)) == datetime(
        2027, 1, 4, tzinfo=TOKYO
    )
    assert next_allowed(late, "America/New_York", closed=("12-29/01-03",)) == late
