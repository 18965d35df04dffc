"""Times the CLI and the emulator's chat view show are in the scenario's timezone (or the
channel's: STEPLINE_TIMEZONE, Asia/Tokyo by default — not the machine's), their zone named."""

from datetime import UTC, datetime

from cli.output import moment
from emulator import chatscreen
from emulator.app import EmulatorConfig
from emulator.state import EmulatorState

AT = "2026-12-06T15:30:00+00:00"


def test_a_moment_is_in_the_channels_zone_by_default(monkeypatch):
    monkeypatch.delenv("STEPLINE_TIMEZONE", raising=False)
    monkeypatch.setenv("TZ", "America/Los_Angeles")  # the machine's zone does not matter
    assert moment(AT) == "2026-12-07 00:30:00 JST"


def test_a_moment_is_in_the_scenarios_zone_or_the_setting(monkeypatch):
    monkeypatch.setenv("STEPLINE_TIMEZONE", "UTC")
    assert moment(AT) == "2026-12-06 15:30:00 UTC"
    assert moment(AT, "America/New_York") == "2026-12-06 10:30:00 EST"
    assert moment(AT, "Not/AZone") == "2026-12-06 15:30:00 UTC"  # the channel's, then
    assert moment(None) == "-" and moment("soon") == "soon"


def test_the_chat_view_names_its_zone(monkeypatch):
    state = EmulatorState(EmulatorConfig(access_token=None, channel_secret="secret"))
    monkeypatch.delenv("STEPLINE_TIMEZONE", raising=False)
    assert chatscreen.zone_name(state) == "JST (Asia/Tokyo)"
    monkeypatch.setenv("STEPLINE_TIMEZONE", "Europe/London")
    assert chatscreen.zone_name(state) in ("GMT (Europe/London)", "BST (Europe/London)")
    assert chatscreen.zone().key == "Europe/London"
    assert datetime(2026, 1, 1, tzinfo=UTC).astimezone(chatscreen.zone()).hour == 0


def test_emulator_messages_show_their_moment_in_the_channels_zone(monkeypatch, capsys):
    """`stepline emulator messages`: each push's time as the rest of the CLI writes it."""
    import cli.main

    class Answer:
        status_code = 200

        def json(self):
            return [{"received_at": AT, "to": "U1", "delivered": True, "reason": None,
                     "messages": [{"type": "text", "text": "Hello"}]}]  # fmt: skip

    class Emulator:
        def get(self, *args, **kwargs):
            return Answer()

    class Targets:
        def emulator(self):
            import contextlib

            return contextlib.nullcontext(Emulator())

    monkeypatch.delenv("STEPLINE_TIMEZONE", raising=False)
    monkeypatch.setattr(cli.main, "targets", Targets)
    monkeypatch.setattr(cli.main, "fail", lambda answer: None)
    cli.main.emulator_messages(user_id=None, as_json=False)
    assert capsys.readouterr().out == "2026-12-07 00:30:00 JST  U1  delivered     Hello\n"


def test_stats_reads_a_time_without_an_offset_in_the_channels_zone(monkeypatch):
    """`stepline stats --from/--to`: a time without an offset is the channel's, not this
    machine's; with an offset it is kept; --help says so."""
    import contextlib

    from typer.testing import CliRunner

    import cli.main
    import cli.stats

    sent: list[dict] = []

    class Answer:
        status_code = 200
        headers: dict = {}

        def json(self):
            return {"enrolled": 0, "steps": []}

    class Api:
        def get(self, path, params):
            sent.append(params)
            return Answer()

    class Targets:
        def api(self):
            return contextlib.nullcontext(Api())

    monkeypatch.setattr(cli.stats, "targets", Targets)
    monkeypatch.setattr(cli.stats, "fail", lambda answer: None)
    monkeypatch.setenv("TZ", "America/Los_Angeles")  # the machine's zone does not matter
    runner = CliRunner()

    def stats(*args: str) -> dict:
        result = runner.invoke(cli.main.app, ["stats", "scn_1", *args])
        assert result.exit_code == 0, result.output
        return sent.pop()

    monkeypatch.delenv("STEPLINE_TIMEZONE", raising=False)
    assert stats("--from", "2026-04-01", "--to", "2026-04-02T09:30") == {
        "from": "2026-04-01T00:00:00+09:00",
        "to": "2026-04-02T09:30:00+09:00",
    }
    monkeypatch.setenv("STEPLINE_TIMEZONE", "America/New_York")
    assert stats("--from", "2026-01-15T08:00", "--to", "2026-07-01") == {
        "from": "2026-01-15T08:00:00-05:00",
        "to": "2026-07-01T00:00:00-04:00",  # the zone's offset on that day
    }
    assert stats("--from", "2026-01-15T08:00+00:00") == {"from": "2026-01-15T08:00:00+00:00"}

    monkeypatch.setenv("COLUMNS", "200")
    help_text = " ".join(runner.invoke(cli.main.app, ["stats", "--help"]).output.split())
    assert "without an offset, in the channel's timezone: STEPLINE_TIMEZONE" in help_text
