"""`next_allowed` (core/calendar.py): a step's window, the channel's quiet hours, weekends and
public holidays, in the scenario's timezone. Every answer is an exact UTC instant."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from core.calendar import next_allowed

TOKYO, NEW_YORK = "Asia/Tokyo", "America/New_York"
JST = timezone(timedelta(hours=9))


def at(tz: str, *args: int, fold: int = 0) -> datetime:
    """A wall-clock time in `tz`, as the UTC instant the workflow clock would give."""
    return datetime(*args, tzinfo=ZoneInfo(tz), fold=fold).astimezone(UTC)


def tokyo(*args: int) -> datetime:
    return at(TOKYO, *args)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_tokyo_helper_is_plain_utc_plus_nine() -> None:
    assert tokyo(2026, 11, 9, 0, 0) == utc(2026, 11, 8, 15, 0)


# --- nothing to wait for ----------------------------------------------------------------------


def test_no_rules_answers_now_in_utc() -> None:
    now = datetime(2026, 11, 7, 10, 0, 30, 123456, tzinfo=JST)  # a Saturday, not skipped
    answer = next_allowed(now, TOKYO)
    assert answer == now and answer.tzinfo == UTC
    assert answer == utc(2026, 11, 7, 1, 0, 30, 123456)


@pytest.mark.parametrize(
    "now",
    [
        tokyo(2026, 11, 9, 0, 0),  # Monday, the first moment
        tokyo(2026, 11, 13, 23, 59),  # Friday, the last minute
        tokyo(2026, 11, 24, 12, 0),  # Tuesday after 勤労感謝の日
    ],
)
def test_weekdays_that_are_not_holidays_are_open(now: datetime) -> None:
    assert next_allowed(now, TOKYO, skip_weekends=True, skip_holidays=True) == now


# --- weekends -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "now",
    [
        tokyo(2026, 11, 7, 0, 0),  # Saturday, its first moment
        tokyo(2026, 11, 7, 10, 0),  # Saturday morning
        tokyo(2026, 11, 8, 23, 59, 59),  # Sunday, its last second
    ],
)
def test_a_weekend_waits_for_monday_midnight_in_tokyo(now: datetime) -> None:
    # Monday 2026-11-09 00:00 JST is Sunday 15:00 UTC
    assert next_allowed(now, TOKYO, skip_weekends=True) == utc(2026, 11, 8, 15, 0)


def test_the_weekend_is_the_local_one_not_utcs() -> None:
    # Friday 23:00 UTC is already Saturday 08:00 in Tokyo
    assert next_allowed(utc(2026, 11, 6, 23, 0), TOKYO, skip_weekends=True) == utc(
        2026, 11, 8, 15, 0
    )
    # Sunday 15:00 UTC is Monday 00:00 in Tokyo: open
    assert next_allowed(utc(2026, 11, 8, 15, 0), TOKYO, skip_weekends=True) == utc(
        2026, 11, 8, 15, 0
    )


def test_a_weekend_with_a_window_waits_for_mondays_opening() -> None:
    answer = next_allowed(
        tokyo(2026, 11, 7, 10, 0), TOKYO, window=("10:00", "20:00"), skip_weekends=True
    )
    assert answer == utc(2026, 11, 9, 1, 0)  # Monday 10:00 JST


def test_weekends_are_open_unless_skipped() -> None:
    saturday = tokyo(2026, 11, 7, 10, 0)
    assert next_allowed(saturday, TOKYO, skip_holidays=True) == saturday


# --- Japanese public holidays -------------------------------------------------------------


def test_labour_thanksgiving_day_waits_for_tuesday() -> None:
    # 2026-11-23 (Monday) is 勤労感謝の日
    answer = next_allowed(tokyo(2026, 11, 23, 8, 0), TOKYO, skip_holidays=True)
    assert answer == utc(2026, 11, 23, 15, 0)  # Tuesday 2026-11-24 00:00 JST


def test_a_weekend_before_a_holiday_monday_chains() -> None:
    answer = next_allowed(tokyo(2026, 11, 21, 12, 0), TOKYO, skip_weekends=True, skip_holidays=True)
    assert answer == utc(2026, 11, 23, 15, 0)  # Tuesday 2026-11-24 00:00 JST


def test_holidays_are_open_unless_skipped() -> None:
    holiday = tokyo(2026, 11, 23, 8, 0)
    assert next_allowed(holiday, TOKYO, skip_weekends=True) == holiday


def test_new_years_day() -> None:
    # 2027-01-01 (Friday) is 元日; January 2 is not a public holiday
    new_year = tokyo(2027, 1, 1, 10, 0)
    assert next_allowed(new_year, TOKYO, skip_holidays=True) == utc(2027, 1, 1, 15, 0)
    # … but it is a Saturday: with weekends too, Monday 2027-01-04
    assert next_allowed(new_year, TOKYO, skip_weekends=True, skip_holidays=True) == utc(
        2027, 1, 3, 15, 0
    )


def test_golden_week_chained_with_the_weekend() -> None:
    # Sat 2 May, Sun 3 May 憲法記念日, Mon 4 みどりの日, Tue 5 こどもの日, and Wed 6 May 2026
    # 振替休日 (3 May fell on a Sunday): the next moment is Thursday 2026-05-07 00:00 JST
    answer = next_allowed(tokyo(2026, 5, 2, 10, 0), TOKYO, skip_weekends=True, skip_holidays=True)
    assert answer == utc(2026, 5, 6, 15, 0)
    # holidays alone: Saturday 2 May is open, Sunday 3 May … Wednesday 6 May are not
    assert next_allowed(tokyo(2026, 5, 2, 10, 0), TOKYO, skip_holidays=True) == tokyo(
        2026, 5, 2, 10, 0
    )
    assert next_allowed(tokyo(2026, 5, 3, 0, 0), TOKYO, skip_holidays=True) == utc(
        2026, 5, 6, 15, 0
    )


def test_a_holiday_with_a_window_waits_for_the_next_days_opening() -> None:
    answer = next_allowed(
        tokyo(2026, 11, 22, 19, 0),  # Sunday, inside the window
        TOKYO,
        window=("09:00", "18:00"),
        skip_weekends=True,
        skip_holidays=True,
    )
    assert answer == utc(2026, 11, 24, 0, 0)  # Tuesday 09:00 JST


# --- quiet hours --------------------------------------------------------------------------

NIGHT = ("21:00", "09:00")


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (tokyo(2026, 11, 10, 20, 59), tokyo(2026, 11, 10, 20, 59)),  # before: open
        (tokyo(2026, 11, 10, 21, 0), tokyo(2026, 11, 11, 9, 0)),  # the start is quiet
        (tokyo(2026, 11, 10, 22, 30), tokyo(2026, 11, 11, 9, 0)),  # across midnight
        (tokyo(2026, 11, 11, 0, 0), tokyo(2026, 11, 11, 9, 0)),  # after midnight: same day
        (tokyo(2026, 11, 11, 3, 0), tokyo(2026, 11, 11, 9, 0)),
        (tokyo(2026, 11, 11, 8, 59), tokyo(2026, 11, 11, 9, 0)),
        (tokyo(2026, 11, 11, 9, 0), tokyo(2026, 11, 11, 9, 0)),  # the end is open
    ],
)
def test_quiet_hours_across_midnight(now: datetime, expected: datetime) -> None:
    assert next_allowed(now, TOKYO, quiet=NIGHT) == expected


def test_quiet_hours_in_utc_terms() -> None:
    # 22:30 JST is 13:30 UTC; 09:00 JST the next day is 00:00 UTC
    assert next_allowed(utc(2026, 11, 10, 13, 30), TOKYO, quiet=NIGHT) == utc(2026, 11, 11, 0, 0)


def test_friday_nights_quiet_hours_end_on_a_weekend() -> None:
    # quiet until Saturday 09:00, the weekend until Monday 00:00, quiet again until 09:00
    answer = next_allowed(tokyo(2026, 11, 13, 22, 0), TOKYO, quiet=NIGHT, skip_weekends=True)
    assert answer == utc(2026, 11, 16, 0, 0)  # Monday 2026-11-16 09:00 JST


# --- quiet hours inside a window ----------------------------------------------------------

WINDOW = ("10:00", "20:00")
LUNCH = ("12:00", "13:00")


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (tokyo(2026, 11, 10, 9, 0), tokyo(2026, 11, 10, 10, 0)),  # before the window
        (tokyo(2026, 11, 10, 11, 0), tokyo(2026, 11, 10, 11, 0)),  # open
        (tokyo(2026, 11, 10, 11, 59), tokyo(2026, 11, 10, 11, 59)),
        (tokyo(2026, 11, 10, 12, 0), tokyo(2026, 11, 10, 13, 0)),  # quiet
        (tokyo(2026, 11, 10, 12, 30), tokyo(2026, 11, 10, 13, 0)),
        (tokyo(2026, 11, 10, 13, 0), tokyo(2026, 11, 10, 13, 0)),  # quiet is over
        (tokyo(2026, 11, 10, 20, 30), tokyo(2026, 11, 11, 10, 0)),  # after the window
    ],
)
def test_quiet_hours_inside_a_window(now: datetime, expected: datetime) -> None:
    assert next_allowed(now, TOKYO, window=WINDOW, quiet=LUNCH) == expected


def test_quiet_hours_that_outlast_the_window_wait_for_the_next_day() -> None:
    # quiet 19:00–23:00 ends after the window closes at 20:00: tomorrow's opening
    answer = next_allowed(
        tokyo(2026, 11, 10, 19, 30), TOKYO, window=WINDOW, quiet=("19:00", "23:00")
    )
    assert answer == utc(2026, 11, 11, 1, 0)  # 10:00 JST


def test_quiet_hours_covering_the_opening_push_it_back() -> None:
    # the window opens at 10:00 but the night lasts until 10:30
    answer = next_allowed(
        tokyo(2026, 11, 10, 20, 30), TOKYO, window=WINDOW, quiet=("21:00", "10:30")
    )
    assert answer == utc(2026, 11, 11, 1, 30)  # 10:30 JST


# --- all the rules together ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Friday after the window: Saturday and Sunday skipped, Monday 23 Nov is a holiday,
        # Tuesday's window opens at 10:00 but lunch is quiet only from 12:00
        (tokyo(2026, 11, 20, 20, 30), utc(2026, 11, 24, 1, 0)),
        # Friday lunch: the same day at 13:00
        (tokyo(2026, 11, 20, 12, 15), utc(2026, 11, 20, 4, 0)),
        # Saturday night, in the quiet night hours too
        (tokyo(2026, 11, 21, 23, 0), utc(2026, 11, 24, 1, 0)),
        # Tuesday inside everything: now
        (tokyo(2026, 11, 24, 15, 45), utc(2026, 11, 24, 6, 45)),
    ],
)
def test_all_rules_together(now: datetime, expected: datetime) -> None:
    answer = next_allowed(
        now, TOKYO, window=WINDOW, quiet=LUNCH, skip_weekends=True, skip_holidays=True
    )
    assert answer == expected


def test_all_rules_with_a_night_and_a_late_opening() -> None:
    # window 09:00–18:00, quiet 17:00–10:00: only 10:00–17:00 on working days
    rules = dict(window=("09:00", "18:00"), quiet=("17:00", "10:00"))
    friday_evening = tokyo(2026, 11, 20, 17, 30)
    assert next_allowed(
        friday_evening, TOKYO, **rules, skip_weekends=True, skip_holidays=True
    ) == utc(2026, 11, 24, 1, 0)  # Tuesday 10:00 JST


# --- another timezone ---------------------------------------------------------------------


def test_thanksgiving_in_new_york() -> None:
    # US Thanksgiving 2026 is Thursday 26 November; New York is UTC-5 (EST) then
    wednesday_night = at(NEW_YORK, 2026, 11, 25, 21, 0)
    rules = {"window": ("09:00", "17:00"), "skip_holidays": True}
    answer = next_allowed(wednesday_night, NEW_YORK, **rules, country="US")
    assert answer == utc(2026, 11, 27, 14, 0)  # Friday 09:00 EST
    # the same instant read with Japan's calendar: Thursday is an ordinary day there
    assert next_allowed(
        wednesday_night, NEW_YORK, window=("09:00", "17:00"), skip_holidays=True, country="JP"
    ) == utc(2026, 11, 26, 14, 0)


def test_independence_day_observed_on_friday() -> None:
    # 4 July 2026 is a Saturday; the US holiday is observed on Friday 3 July
    answer = next_allowed(
        at(NEW_YORK, 2026, 7, 3, 10, 0),
        NEW_YORK,
        skip_weekends=True,
        skip_holidays=True,
        country="US",
    )
    assert answer == utc(2026, 7, 6, 4, 0)  # Monday 00:00 EDT (UTC-4)


def test_country_matters() -> None:
    thanksgiving = at(NEW_YORK, 2026, 11, 26, 12, 0)
    assert next_allowed(thanksgiving, NEW_YORK, skip_holidays=True, country="US") == utc(
        2026, 11, 27, 5, 0
    )
    assert next_allowed(thanksgiving, NEW_YORK, skip_holidays=True, country="JP") == thanksgiving


def test_window_opening_on_the_day_clocks_go_back() -> None:
    # Sunday 1 November 2026 02:00 EDT → 01:00 EST: Saturday 18:00 EDT is 22:00 UTC, and
    # Sunday's 09:00 is EST, 14:00 UTC (not 13:00)
    saturday = at(NEW_YORK, 2026, 10, 31, 18, 0)
    assert saturday == utc(2026, 10, 31, 22, 0)
    assert next_allowed(saturday, NEW_YORK, window=("09:00", "17:00")) == utc(2026, 11, 1, 14, 0)
    assert next_allowed(saturday, NEW_YORK, window=("09:00", "17:00"), skip_weekends=True) == utc(
        2026, 11, 2, 14, 0
    )


def test_window_opening_on_the_day_clocks_go_forward() -> None:
    # Sunday 8 March 2026 02:00 EST → 03:00 EDT: Sunday's 09:00 is EDT, 13:00 UTC
    saturday = at(NEW_YORK, 2026, 3, 7, 18, 0)
    assert saturday == utc(2026, 3, 7, 23, 0)
    assert next_allowed(saturday, NEW_YORK, window=("09:00", "17:00")) == utc(2026, 3, 8, 13, 0)
    # a weekend skipped across the change: Monday 00:00 EDT is 04:00 UTC
    assert next_allowed(at(NEW_YORK, 2026, 3, 7, 10, 0), NEW_YORK, skip_weekends=True) == utc(
        2026, 3, 9, 4, 0
    )


def test_quiet_night_across_the_change_is_shorter() -> None:
    # quiet 21:00–09:00 over the night clocks go forward: 21:00 EST is 02:00 UTC, 09:00 EDT
    # is 13:00 UTC (eleven real hours, not twelve)
    answer = next_allowed(at(NEW_YORK, 2026, 3, 7, 21, 0), NEW_YORK, quiet=NIGHT)
    assert answer == utc(2026, 3, 8, 13, 0)
    assert answer - at(NEW_YORK, 2026, 3, 7, 21, 0) == timedelta(hours=11)


def test_quiet_hours_ending_in_the_skipped_hour_end_when_clocks_go_forward() -> None:
    # 01:00–02:30 quiet, and 02:00–03:00 does not exist on 8 March: the first allowed moment
    # after 01:45 EST (06:45 UTC) is 03:00 EDT (07:00 UTC), when the wall clock passes 02:30
    now = at(NEW_YORK, 2026, 3, 8, 1, 45)
    assert next_allowed(now, NEW_YORK, quiet=("01:00", "02:30")) == utc(2026, 3, 8, 7, 0)


def test_quiet_hours_in_the_repeated_hour_never_answer_the_past() -> None:
    # 1 November 2026, quiet 00:00–01:30. 01:15 EST (the second 01:15, 06:15 UTC) is quiet;
    # the wall clock next reads 01:30 at 01:30 EST, 06:30 UTC.
    now = at(NEW_YORK, 2026, 11, 1, 1, 15, fold=1)
    assert now == utc(2026, 11, 1, 6, 15)
    answer = next_allowed(now, NEW_YORK, quiet=("00:00", "01:30"))
    assert answer >= now
    assert answer == utc(2026, 11, 1, 6, 30)


# --- policies that never open -------------------------------------------------------------


@pytest.mark.parametrize(
    "quiet",
    [("09:00", "21:00"), ("10:00", "20:00"), ("00:00", "23:59")],
    ids=["wider", "the window itself", "all but a minute outside the window"],
)
def test_quiet_hours_covering_the_whole_window_raise(quiet: tuple[str, str]) -> None:
    with pytest.raises(ValueError, match="no moment in the next year"):
        next_allowed(tokyo(2026, 11, 10, 8, 0), TOKYO, window=WINDOW, quiet=quiet)


def test_a_narrow_gap_is_still_found() -> None:
    # quiet 20:00–19:59 leaves only 19:59–20:00 open, the window's last minute
    answer = next_allowed(tokyo(2026, 11, 10, 8, 0), TOKYO, window=WINDOW, quiet=("20:00", "19:59"))
    assert answer == tokyo(2026, 11, 10, 19, 59)
