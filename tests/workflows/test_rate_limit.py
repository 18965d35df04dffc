"""The channel-wide push rate: Temporal's task-queue limit, shared by every worker."""

import pytest

from core.config import load_settings
from line.client import LinePusher
from tests.support.stack import settings_for
from worker import create_worker


async def test_the_worker_limits_pushes_for_the_whole_task_queue(ts_env, sqlite_url):
    settings = settings_for(database_url=sqlite_url, line_api="http://127.0.0.1:9")
    line = LinePusher.from_settings(settings)
    try:
        worker = create_worker(
            ts_env.client, task_queue="rate", db=None, line=line, push_rate=150.0
        )
        assert worker.config()["max_task_queue_activities_per_second"] == 150.0
    finally:
        await line.close()


@pytest.mark.parametrize("value", ["0", "-1", "2001", "fast"])
def test_a_push_rate_beyond_line_s_limit_is_refused(monkeypatch, capsys, value):
    monkeypatch.setenv("STEPLINE_PUSH_RATE", value)
    with pytest.raises(SystemExit):
        load_settings(_env_file=None)
    assert "STEPLINE_PUSH_RATE is invalid" in capsys.readouterr().err
