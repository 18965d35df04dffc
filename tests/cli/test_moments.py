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
