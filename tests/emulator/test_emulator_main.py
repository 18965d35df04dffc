"""`python -m emulator` refuses to start without the channel secret it signs webhooks with."""

import pytest

from emulator.__main__ import main
from emulator.persist import write
from emulator.snapshot import snapshot


def test_missing_secret_stops_with_one_clear_line(monkeypatch):
    monkeypatch.delenv("LINE_CHANNEL_SECRET", raising=False)
    with pytest.raises(SystemExit) as stopped:
        main(["--port", "8001"])
    assert "LINE_CHANNEL_SECRET" in str(stopped.value.code)


def test_environment_becomes_the_config(monkeypatch):
    monkeypatch.setenv("LINE_CHANNEL_SECRET", "s3cret")
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "tok")
    ran = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: ran.update(app=app, **kwargs))
    main(["--port", "8123", "--webhook-url", "http://127.0.0.1:8000/webhooks/line"])
    config = ran["app"].state.emulator.config
    assert (config.channel_secret, config.access_token) == ("s3cret", "tok")
    assert config.webhook_url == "http://127.0.0.1:8000/webhooks/line"
    assert ran["port"] == 8123 and config.monthly_quota is None


def test_state_file_is_read_at_start_and_named_in_the_config(monkeypatch, tmp_path):
    monkeypatch.setenv("LINE_CHANNEL_SECRET", "s3cret")
    path = tmp_path / "emulator.json"
    ran = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: ran.update(app=app, **kwargs))
    main(["--state-file", str(path)])
    first = ran["app"].state.emulator
    assert first.config.state_file == path and first.users == {}
    first.follow("U" + "1" * 32, display_name="Aoi")
    write(path, snapshot(first))
    main(["--state-file", str(path)])
    assert ran["app"].state.emulator.users["U" + "1" * 32].display_name == "Aoi"


def test_without_a_state_file_nothing_is_kept(monkeypatch):
    monkeypatch.setenv("LINE_CHANNEL_SECRET", "s3cret")
    ran = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: ran.update(app=app, **kwargs))
    main([])
    assert ran["app"].state.emulator.config.state_file is None
