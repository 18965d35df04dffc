"""`stepline dev`'s state folder without starting anything: the emulator keeps its state file
there, and `--fresh` removes Temporal's history, the app database and the emulator's state —
nothing else, and not while a run on the folder answers."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cli import devstate
from cli.dev import DevRunner
from cli.devstate import DevState
from tests.support.devrun import dev_runner

KEPT = ("notes.txt", "dev.json.bak")
CLEARED = (
    "temporal.db",
    "temporal.db-wal",
    "temporal.db-shm",
    "stepline.db",
    "stepline.db-wal",
    "stepline.db-turn",
    "stepline.db.migrate-lock",
    "emulator.json",
    ".emulator.json.x1y2.tmp",
)


def runner(state_dir, *, fresh: bool) -> DevRunner:
    return dev_runner(state_dir, fresh=fresh)


@pytest.fixture
def folder(tmp_path):
    for name in (*KEPT, *CLEARED):
        (tmp_path / name).write_text("x")
    return tmp_path


@pytest.fixture
def started(monkeypatch):
    """run() up to its first process, which fails: what it did to the folder before that."""
    calls: list[str] = []

    def start(self, name, command, env):
        calls.append(name)
        raise RuntimeError("not starting anything in a unit test")

    def environment(self):
        url = f"sqlite:///{self.state_dir / 'stepline.db'}"
        return {"STEPLINE_DATABASE_URL": url, "STEPLINE_ADMIN_TOKEN": "t"}, True

    monkeypatch.setattr(DevRunner, "start", start)
    monkeypatch.setattr(DevRunner, "environment", environment)
    monkeypatch.setattr("cli.dev.signal.signal", lambda *_: None)
    return calls


def test_the_emulator_keeps_its_state_in_the_folder(tmp_path):
    command = runner(tmp_path, fresh=False).emulator_command("http://127.0.0.1:8000/webhooks/line")
    assert command[command.index("--state-file") + 1] == str(tmp_path / "emulator.json")


def test_without_fresh_the_folder_is_left_as_it_is(folder, started):
    assert runner(folder, fresh=False).run() == 1
    assert started == ["temporal"]
    assert sorted(p.name for p in folder.iterdir()) == sorted((*KEPT, *CLEARED))


def test_fresh_removes_the_runs_state_and_nothing_else(folder, started, capsys):
    assert runner(folder, fresh=True).run() == 1
    assert started == ["temporal"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(KEPT)
    said = capsys.readouterr().out
    assert "removed temporal.db, emulator.json, stepline.db from" in said


def test_fresh_keeps_a_database_that_is_not_the_folders(folder):
    lines = devstate.clear(folder, "postgresql+psycopg://u:p@db/stepline")
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        (*KEPT, *(name for name in CLEARED if name.startswith("stepline.db")))
    )
    assert "kept the database STEPLINE_DATABASE_URL names" in lines[1]


def test_a_relative_sqlite_url_to_the_folder_is_the_folders_database(tmp_path):
    assert devstate.is_folder_database(
        devstate.ROOT / ".stepline", "sqlite:///.stepline/stepline.db"
    )
    assert not devstate.is_folder_database(tmp_path, "sqlite:///elsewhere.db")


class _Healthy(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_fresh_is_refused_while_a_run_on_the_folder_answers(folder, started, capsys):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Healthy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        devstate.save(DevState(url, "t", None, "http://localhost:8233"), folder / "dev.json")
        assert runner(folder, fresh=True).run() == 1
    finally:
        server.shutdown()
    assert started == []  # nothing started, nothing removed, its dev.json left alone
    assert (folder / "dev.json").exists() and (folder / "temporal.db").exists()
    assert "stop it" in capsys.readouterr().err


def test_a_dev_json_left_by_a_killed_run_does_not_stop_fresh(folder, started):
    devstate.save(DevState("http://127.0.0.1:9", "t", None, "x"), folder / "dev.json")
    assert runner(folder, fresh=True).run() == 1
    assert not (folder / "temporal.db").exists() and started == ["temporal"]
