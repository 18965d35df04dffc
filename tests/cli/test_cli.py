"""The `stepline` commands against a running API and emulator."""

import asyncio
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from cli.main import app, main, run
from core.serve import free_port
from store.tables import Event
from tests.support.stack import ADMIN_TOKEN, user

DEMO = """\
name: cli demo
trigger: {type: follow}
steps:
  - {id: hi, type: message, messages: [{type: text, text: "Hi from the CLI"}]}
"""
BROKEN = """\
name: broken
trigger: {type: follow}
steps:
  - {id: hi, type: message, window: {start: "10:00", end: "10:00"}, messages: [{type: text, text: "x"}]}
  - {id: w, type: wait, duration: P400D}
"""


@pytest.fixture
def env(stack):
    return {
        "STEPLINE_PUBLIC_URL": str(stack.api.base_url),
        "STEPLINE_ADMIN_TOKEN": ADMIN_TOKEN,
        "LINE_API_BASE_URL": str(stack.emu.base_url),
    }


async def stepline(env: dict, *args: str):
    # in a thread: the servers answering it run on this test's event loop
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)


async def test_apply_list_simulate_and_read_messages(stack, env, tmp_path):
    file = tmp_path / "demo.yaml"
    file.write_text(DEMO)
    created = await stepline(env, "scenario", "apply", str(file), "--activate")
    assert created.exit_code == 0, created.output
    said, scenario_id, version, status = created.output.split()
    assert (said, version, status) == ("created", "v1", "(active)")

    again = await stepline(env, "scenario", "apply", str(file))  # the same file: no version
    assert again.exit_code == 0 and again.output == f"{scenario_id} unchanged (v1, active)\n"

    listed = await stepline(env, "scenario", "list")
    assert scenario_id in listed.output and "cli demo" in listed.output

    friend = user(500)
    followed = await stepline(env, "simulate", "follow", friend)
    assert followed.exit_code == 0 and "webhook answered 200" in followed.output
    await stack.settle()
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    shown = await stepline(env, "emulator", "messages", friend)
    assert "Hi from the CLI" in shown.output and "delivered" in shown.output

    blocked = await stepline(env, "simulate", "unfollow", friend)
    assert blocked.exit_code == 0
    await stack.settle()
    assert (await stack.api.get(f"/friends/{friend}")).json()["following"] is False


async def test_apply_reports_every_problem_with_its_path_and_sends_nothing(stack, env, tmp_path):
    file = tmp_path / "broken.yaml"
    file.write_text(BROKEN)
    result = await stepline(env, "scenario", "apply", str(file))
    assert result.exit_code == 1
    assert "steps[0].window" in result.output and "steps[1].duration" in result.output
    assert (await stack.api.get("/scenarios")).json() == []


def _until_yaml(moment: str) -> str:
    return f"""\
name: until demo
trigger: {{type: follow}}
steps:
  - id: xmas
    type: wait
    until: {moment}
  - {{id: hi, type: message, messages: [{{type: text, text: "Merry Christmas"}}]}}
"""


async def test_apply_takes_an_unquoted_until_which_yaml_reads_as_a_datetime(stack, env, tmp_path):
    ahead = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
    moment = ahead.astimezone(timezone(timedelta(hours=9))).isoformat()
    file = tmp_path / "until.yaml"
    file.write_text(_until_yaml(moment))
    created = await stepline(env, "scenario", "apply", str(file))
    assert created.exit_code == 0, created.output
    scenario_id = created.output.split()[1]
    read = (await stack.api.get(f"/scenarios/{scenario_id}")).json()
    assert read["definition"]["steps"][0] == {"id": "xmas", "type": "wait", "until": moment}

    file.write_text(_until_yaml("2026-12-24 10:00:00"))  # no offset
    refused = await stepline(env, "scenario", "apply", str(file))
    assert refused.exit_code == 1
    assert "steps[0].until" in refused.output and "UTC offset" in refused.output


async def test_simulate_refuses_a_malformed_user_id(env):
    result = await stepline(env, "simulate", "follow", "not-a-user")
    assert result.exit_code == 2
    assert "U followed by 32 lowercase hex" in result.output


def test_unreachable_api_is_one_line(monkeypatch, capsys):
    monkeypatch.setenv("STEPLINE_PUBLIC_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setattr("sys.argv", ["stepline", "scenario", "list"])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert (
        "cannot reach http://127.0.0.1:" in err and "stepline dev" in err and "Traceback" not in err
    )


def test_a_process_that_used_temporal_leaves_with_its_own_code(monkeypatch, capsys):
    """sdk-python#300: an interpreter finalizing after a Temporal client can abort (SIGABRT),
    so the process's entry point leaves with os._exit and the command's exit code."""
    monkeypatch.setenv("STEPLINE_PUBLIC_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setattr("sys.argv", ["stepline", "scenario", "list"])
    left: list[int] = []
    monkeypatch.setattr("os._exit", left.append)
    assert "temporalio.client" in sys.modules  # the test process has one loaded
    run()
    assert left == [1]
    assert "cannot reach" in capsys.readouterr().err


async def test_template_creates_a_scenario_through_the_api(stack, env):
    created = await stepline(env, "scenario", "template", "review-request")
    assert created.exit_code == 0, created.output
    said, scenario_id, version, status, *rest = created.output.split()
    assert (said, version, status) == ("created", "v1", "(draft)")
    assert " ".join(rest) == (
        f"from template review-request — activate with: stepline scenario activate {scenario_id}"
    )
    read = (await stack.api.get(f"/scenarios/{scenario_id}")).json()
    assert read["name"] == "レビュー・問い合わせ依頼"

    active = await stepline(
        env, "scenario", "template", "follow-up", "--activate", "--name", "Welcome (EN/JA)"
    )
    assert active.exit_code == 0, active.output
    said, scenario_id, version, status, *_ = active.output.split()
    assert (said, version, status) == ("created", "v1", "(active)")
    assert active.output.rstrip().endswith("from template follow-up")
    read = (await stack.api.get(f"/scenarios/{scenario_id}")).json()
    assert (read["name"], read["status"]) == ("Welcome (EN/JA)", "active")


async def test_template_list_and_templates_show_the_four(stack, env):
    for args in (["scenario", "template", "--list"], ["scenario", "templates"]):
        listed = await stepline(env, *args)
        assert listed.exit_code == 0, listed.output
        for name, title in [
            ("follow-up", "友だち追加後のフォローアップ"),
            ("product-promotion", "商品プロモーション"),
            ("review-request", "レビュー・問い合わせ依頼"),
            ("revisit-promotion", "再来店促進"),
        ]:
            assert name in listed.output and title in listed.output
    assert (await stack.api.get("/scenarios")).json() == []


async def test_template_unknown_name_is_a_clear_error(stack, env):
    result = await stepline(env, "scenario", "template", "welcome")
    assert result.exit_code == 1
    assert "404" in result.output and "no template 'welcome'" in result.output
    assert "follow-up" in result.output  # the names there are
    missing = await stepline(env, "scenario", "template")
    assert missing.exit_code == 2 and "--list" in missing.output
    assert (await stack.api.get("/scenarios")).json() == []


async def test_simulate_event_enrols_through_an_event_trigger(stack, env):
    scenario_id = await stack.scenario(
        {
            "name": "cart",
            "trigger": {"type": "event", "event": "cart_add"},
            "steps": [
                {"id": "hi", "type": "message", "messages": [{"type": "text", "text": "Cart"}]}
            ],
        }
    )
    friend = user(501)
    await stack.follow(friend)
    recorded = await stepline(
        env, "simulate", "event", friend, "cart_add", "-p", "sku=A-100", "-p", "amount=4800"
    )
    assert recorded.exit_code == 0, recorded.output
    assert "event cart_add" in recorded.output
    await stack.settle()  # the enrollment it called for, started
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == ["Cart"]
    async with stack.db.session() as session:
        (stored,) = (await session.exec(select(Event))).all()
    assert stored.properties == {"sku": "A-100", "amount": 4800}


async def test_simulate_event_refuses_a_malformed_property(env):
    result = await stepline(env, "simulate", "event", user(502), "x", "-p", "no-equals")
    assert result.exit_code == 2 and "NAME=VALUE" in result.output


async def test_simulate_postback_and_message_send_the_friends_webhooks(stack, env):
    friend = user(503)
    await stack.follow(friend)
    tapped = await stepline(
        env, "simulate", "postback", friend, "answer=tea", "--display-text", "Tea, please",
        "-p", "date=2026-12-24",
    )  # fmt: skip
    assert tapped.exit_code == 0, tapped.output
    assert tapped.output.strip() == f"postback {friend}: webhook answered 200"
    typed = await stepline(env, "simulate", "message", friend, "What time do you open?")
    assert typed.exit_code == 0, typed.output
    assert typed.output.strip() == f"message {friend}: webhook answered 200"

    sent = [(m.kind, m.text, m.data, m.params) for m in stack.emulator.friend_messages]
    assert sent == [
        ("postback", "Tea, please", "answer=tea", {"date": "2026-12-24"}),
        ("message", "What time do you open?", None, None),
    ]
    silent = await stepline(env, "simulate", "postback", friend, "answer=none")
    assert silent.exit_code == 0, silent.output
    assert stack.emulator.friend_messages[-1].text is None


async def test_simulate_postback_and_message_refuse_a_blocked_or_unknown_user(stack, env):
    stranger = user(504)
    unknown = await stepline(env, "simulate", "message", stranger, "hi")
    assert unknown.exit_code == 1
    assert "404" in unknown.output and "follow the account first" in unknown.output
    await stack.follow(stranger)
    await stack.unfollow(stranger)
    blocked = await stepline(env, "simulate", "postback", stranger, "answer=tea")
    assert blocked.exit_code == 1
    assert "409" in blocked.output and "has blocked the account" in blocked.output
    assert stack.emulator.friend_messages == []
    bad = await stepline(env, "simulate", "postback", stranger, "a=1", "-p", "no-equals")
    assert bad.exit_code == 2 and "NAME=VALUE" in bad.output
    malformed = await stepline(env, "simulate", "message", "nobody", "hi")
    assert malformed.exit_code == 2 and "U followed by 32 lowercase hex" in malformed.output


async def test_pause_resume_and_end_answer_at_once_and_wait_follows_them(stack, env):
    scenario_id = await stack.scenario(
        {
            "name": "cli bulk",
            "trigger": {"type": "follow"},
            "steps": [
                {"id": "hi", "type": "message", "messages": [{"type": "text", "text": "Hi"}]},
                {"id": "w", "type": "wait", "duration": "P1D"},
                {"id": "x", "type": "message", "messages": [{"type": "text", "text": "X"}]},
            ],
        }
    )
    for n in range(3):
        await stack.follow(user(510 + n))
    paused = await stepline(env, "scenario", "pause", scenario_id, "--wait")
    assert paused.exit_code == 0, paused.output
    lines = paused.output.splitlines()
    assert lines[0].split() == [scenario_id, "v1", "paused"]
    operation_id, action, _of, scenario, status, progress = lines[-1].split()[:6]
    assert (action, scenario, status, progress) == ("pause", scenario_id, "done", "3/3")

    shown = await stepline(env, "operation", "show", operation_id)
    assert shown.exit_code == 0 and shown.output.split()[4:6] == ["done", "3/3"]
    listed = await stepline(env, "operation", "list", "--scenario", scenario_id)
    assert operation_id in listed.output and "pause" in listed.output

    resumed = await stepline(env, "scenario", "resume", scenario_id, "--spread", "PT1S")
    assert resumed.exit_code == 0, resumed.output
    assert resumed.output.splitlines()[0].split() == [scenario_id, "v1", "active"]
    ended = await stepline(env, "scenario", "end", scenario_id, "--wait")
    assert ended.exit_code == 0 and "end of" in ended.output and "3/3" in ended.output
    unknown = await stepline(env, "operation", "show", "op_nope")
    assert unknown.exit_code == 1 and "no operation 'op_nope'" in unknown.output
