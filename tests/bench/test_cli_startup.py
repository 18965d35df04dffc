"""bench/cli_startup.py runs: each command answers the stand-in with exit 0 and its own output
(no figure is asserted: the seconds are the benchmark's, not a test's)."""

import httpx

from bench import cli_startup


def test_each_command_runs_against_the_standin_and_is_tabled():
    result = cli_startup.measure(cli_startup.default_program(), runs=1)
    assert list(result["commands"]) == [
        "stepline " + " ".join(args) for args, _expect in cli_startup.COMMANDS
    ]
    for figures in result["commands"].values():
        assert set(figures) == {"median_s", "min_s", "cpu_median_s"}
        assert figures["min_s"] > 0
    text = cli_startup.table(result)
    assert "| `stepline --help` |" in text and "| `stepline friend show U…` |" in text


def test_standin_answers_what_the_commands_ask():
    with cli_startup.standin() as url:
        assert httpx.get(f"{url}/scenarios").json()[0]["id"] == "scn_bench"
        assert httpx.get(f"{url}/nothing").status_code == 404
