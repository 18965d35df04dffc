"""What an outage run must prove (tests/faults/outage_run.py), each its own test: imported by
test_outage.py (SQLite) and test_outage_postgres.py, which give the `run` fixture."""

import re

from tests.faults.outage_run import WELCOME


async def test_while_temporal_is_away_health_says_so_and_the_changes_wait(run):
    down = run.health_down
    assert down["status_code"] == 503 and down["temporal"].startswith("unreachable")
    assert down["changes"]["pending"] >= 10
    assert down["changes"]["last_error"].startswith("Temporal unreachable")
    assert re.search(
        r'stepline_changes_pending\{kind="(start|signal|webhook)"\} [1-9]', run.metrics_down
    )  # noqa: E501


async def test_a_follow_enrols_once(run):
    assert run.texts["follow"] == [WELCOME] and run.statuses["follow"] == "waiting"


async def test_an_unfollow_of_a_friend_who_waits_blocks_them(run):
    assert run.texts["unfollow"] == [WELCOME] and run.statuses["unfollow"] == "blocked"


async def test_an_event_trigger_enrols_once(run):
    assert run.texts["event"] == [WELCOME, "cart:hi"]


async def test_an_exit_event_during_a_wait_ends_the_enrollment(run):
    assert run.texts["exit"] == [WELCOME, "exit:hi"] and run.statuses["exit"] == "exited"


async def test_a_wait_for_event_goes_on_once(run):
    assert run.texts["wait_for"] == [WELCOME, "wait_for:then"]
    assert run.statuses["wait_for"] == "completed"


async def test_an_audience_upload_enrols_once(run):
    assert run.texts["audience"] == [WELCOME, "audience:in"]


async def test_a_changed_date_moves_its_schedule_once(run):
    values = [signal.get("value") for signal in run.date_signals]
    assert values.count("1990-04-01") == 1, values


async def test_a_tag_moves_the_wait_for_on_once_and_the_branch_reads_it(run):
    assert run.texts["tag"] == [WELCOME, "tag:vip"] and run.statuses["tag"] == "completed"


async def test_a_click_moves_the_wait_for_on_once_and_the_clicked_branch_reads_it(run):
    assert run.texts["click"][-1] == "click:clicked" and len(run.texts["click"]) == 3
    assert run.statuses["click"] == "completed"


async def test_a_survey_answer_is_taken_once(run):
    assert run.texts["survey"][-1] == "survey:thanks" and len(run.texts["survey"]) == 3
    assert run.statuses["survey"] == "completed"


async def test_pause_and_resume_reach_the_enrollment_once_each(run):
    assert run.held == "held"  # between them, held at its next send
    assert run.controls == ["pause", "resume"]
    assert run.texts["pause"] == [WELCOME, "pause:hi", "pause:later"]


async def test_an_event_the_killed_api_had_not_dispatched_is_acted_on_after_its_restart(run):
    assert run.texts["kill"] == [WELCOME, "kill:hi"]


async def test_nobody_got_anything_twice(run):
    for name, texts in run.texts.items():
        assert len(texts) == len(set(texts)), (name, texts)
