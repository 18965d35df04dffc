"""`stepline scenario list`, `stats`, `friend show` and `friend import` against a running API:
the tables hold the API's numbers, errors are the API's words."""

import asyncio
import io
import re

from rich.console import Console
from rich.progress import Progress
from typer.testing import CliRunner

from cli.main import app
from cli.stats import render
from tests.api.helpers import scenario, text, wait
from tests.support.stack import user

SALE = "https://shop.example/sale"
PLAN = {
    "id": "plan",
    "type": "branch",
    "branches": [
        {"label": "gold", "when": {"attribute": "plan", "equals": "gold"}, "steps": []},
    ],
    "otherwise": [wait("later", "P1D"), text("bye", "Bye")],
}


async def stepline(env: dict, *args: str):
    # in a thread: the servers answering it run on this test's event loop
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)


def table(output: str, title: str) -> list[dict[str, str]]:
    """The rows under `title` as {HEADER: cell} (columns are two or more spaces apart)."""
    lines = output.splitlines()
    start = next(n for n, line in enumerate(lines) if line.strip() == title)
    body = [line for line in lines[start + 1 :]]
    header_at = next(n for n, line in enumerate(body) if line.strip())
    headers = re.split(r"\s{2,}", body[header_at].strip())
    rows = []
    for line in body[header_at + 2 :]:  # past the rule under the header
        if not line.strip():
            break
        cells = re.split(r"\s{2,}", line.strip())
        rows.append(dict(zip(headers, cells, strict=True)))
    return rows


async def stats_when(stack, scenario_id: str, ready, timeout: float = 10.0) -> dict:
    """The stats once `ready` holds for them (the store is written just after the workflow)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not ready(numbers := (await stack.api.get(f"/scenarios/{scenario_id}/stats")).json()):
        assert asyncio.get_running_loop().time() < deadline, numbers
        await asyncio.sleep(0.05)
    return numbers


async def until_entry(stack, friend: str, kind: str, step: str | None, timeout=10.0) -> None:
    """Until the friend's timeline has this entry (the store is written just after the
    workflow moves)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        body = (await stack.api.get(f"/friends/{friend}/timeline")).json()
        if any((e["kind"], e["step_id"]) == (kind, step) for e in body["entries"]):
            return
        assert asyncio.get_running_loop().time() < deadline, body
        await asyncio.sleep(0.05)


def shown(value) -> str:
    return "-" if value is None else str(value)


async def test_scenario_list_is_a_table_with_the_same_columns(stack, env):
    first = await stack.scenario(scenario(text("hi", "Hi")))
    second = await stack.scenario(
        scenario(text("yo", "Yo"), name="[bold]second[/]"), activate=False
    )
    await stack.follow(user(600))
    await stack.until_texts(user(600), ["Hi"])
    listed = await stepline(env, "scenario", "list")
    assert listed.exit_code == 0, listed.output
    lines = [line.strip() for line in listed.output.splitlines() if line.strip()]
    assert re.split(r"\s+", lines[0]) == ["ID", "VER", "STATUS", "SENT", "NAME"]
    rows = {row["ID"]: row for row in table("x\n" + listed.output, "x")}
    assert rows[first] == {"ID": first, "VER": "1", "STATUS": "active", "SENT": "1", "NAME": "test"}
    assert rows[second] == {
        "ID": second,
        "VER": "1",
        "STATUS": "draft",
        "SENT": "0",
        "NAME": "[bold]second[/]",
    }


async def test_stats_tables_hold_the_apis_numbers(stack, env):
    scenario_id = await stack.scenario(scenario(text("welcome", f"Sale: {SALE}"), PLAN))
    gold, plain, gone = user(610), user(611), user(612)
    await stack.api.put(f"/friends/{gold}/attributes", json={"plan": "gold"})
    for friend in (gold, plain, gone):
        await stack.follow(friend)
    await stack.until_status(scenario_id, gone, "waiting", step="later")
    await stack.until_status(scenario_id, plain, "waiting", step="later")
    [link] = re.findall(
        r"/r/[A-Za-z0-9_\-]+", (await stack.received(gold))[0]["messages"][0]["text"]
    )
    for _ in range(2):  # two clicks, one friend
        assert (await stack.api.get(link, headers={"Authorization": ""})).status_code == 302
    await stack.unfollow(gone)
    await stack.until_status(scenario_id, gone, "blocked")  # no time skipped: `plain` waits on
    api = await stats_when(
        stack,
        scenario_id,
        lambda numbers: (
            numbers["blocked"] == 1
            and {step["id"]: step["entered"] for step in numbers["steps"]}["later"] == 2
        ),
    )
    result = await stepline(env, "stats", scenario_id)
    assert result.exit_code == 0, result.output
    [totals] = table(result.output, f"Scenario {scenario_id}")
    assert (totals["ENROLLED"], totals["ACTIVE"], totals["BLOCKED"]) == ("3", "1", "1")
    for key in ("enrolled", "completed", "active", "blocked", "exited", "ended", "failed"):
        assert totals[key.upper()] == str(api[key])
    assert totals["MESSAGES SENT"] == str(api["messages_sent"]) == "3"

    steps = table(result.output, "Steps")
    assert [row["ID"] for row in steps] == [step["id"] for step in api["steps"]]
    for row, step in zip(steps, api["steps"], strict=True):
        for key in ("entered", "sent", "failed", "clicks"):
            assert row[key.upper()] == str(step[key]), (key, row, step)
        for key in ("unique_clicks", "blocked"):  # the extended stats, when the API sends them
            if key in step:
                assert row[key.replace("_", " ").upper()] == str(step[key])
    welcome = next(row for row in steps if row["ID"] == "welcome")
    assert (welcome["SENT"], welcome["CLICKS"]) == ("3", "2")
    branches = table(result.output, "Branches and arms")
    assert [(row["STEP"], row["LABEL"], row["TAKEN"]) for row in branches] == [
        ("plan", "gold", "1"),
        ("plan", "otherwise", "2"),
    ]
    assert [shown(b["taken"]) for b in api["branches"]] == ["1", "2"]

    # a period: none started before 2000; the API's own words for a bad one
    empty = await stepline(env, "stats", scenario_id, "--to", "2000-01-01")
    assert empty.exit_code == 0, empty.output
    assert table(empty.output, f"Scenario {scenario_id}")[0]["ENROLLED"] == "0"
    backwards = await stepline(
        env, "stats", scenario_id, "--from", "2030-01-02T00:00+09:00", "--to", "2030-01-01"
    )
    assert backwards.exit_code == 1 and "422" in backwards.output
    assert "to: must be after `from`" in backwards.output
    garbled = await stepline(env, "stats", scenario_id, "--from", "yesterday")
    assert garbled.exit_code == 2 and "not a date" in garbled.output
    unknown = await stepline(env, "stats", "scn_nope")
    assert unknown.exit_code == 1 and "404" in unknown.output


async def test_stats_csv_is_the_apis_csv(stack, env):
    scenario_id = await stack.scenario(scenario(text("hi", "Hi")))
    await stack.follow(user(620))
    await stack.until_texts(user(620), ["Hi"])
    api = await stack.api.get(f"/scenarios/{scenario_id}/stats", params={"format": "csv"})
    assert api.status_code == 200 and api.headers["content-type"].startswith("text/csv")
    result = await stepline(env, "stats", scenario_id, "--csv")
    assert result.exit_code == 0, result.output
    # the bytes as the API sent them (CRLF rows), less the BOM meant for Excel
    assert result.stdout_bytes == api.content.removeprefix("\ufeff".encode())
    assert b"\r\nstep,hi,message," in result.stdout_bytes


def test_stats_render_shows_the_extended_columns_and_leaves_out_the_missing():
    data = {
        "enrolled": 40,
        "completed": 30,
        "active": 5,
        "blocked": 3,
        "exited": 1,
        "ended": 0,
        "failed": 1,
        "messages_sent": 70,
        "converted": 10,
        "conversion_rate": 0.25,
        "goal": {"event": "purchase", "within": "P7D"},
        "steps": [
            {"id": "hello", "entered": 40, "sent": 39, "failed": 1, "clicks": 12, "conversions": 8},
            {"id": "ab", "entered": 39, "sent": 0, "failed": 0, "clicks": 0, "conversions": 10},
        ],
        "branches": [
            {"step": "ab", "label": "a", "taken": 20, "conversions": 8, "conversion_rate": 0.4},
            {"step": "ab", "label": "b", "taken": 19, "conversions": 2, "conversion_rate": None},
        ],
        "tests": [
            {
                "step": "ab",
                "test": "chi-square",
                "arms": ["a", "b"],
                "statistic": 4.6521,
                "dof": 1,
                "p_value": 0.03101,
                "significant": True,
                "reason": None,
            }
        ],
    }
    out = Console(file=io.StringIO(), width=200, record=True)
    render(data, out, scenario_id="scn_x")
    text_ = out.export_text()
    [totals] = table(text_, "Scenario scn_x")
    assert (totals["CONVERTED"], totals["CONVERSION RATE"]) == ("10", "25.0%")
    assert 'goal: {"event":"purchase","within":"P7D"}' in text_
    steps = table(text_, "Steps")
    assert list(steps[0]) == ["ID", "ENTERED", "SENT", "FAILED", "CLICKS", "CONVERSIONS"]
    assert steps[0]["CONVERSIONS"] == "8" and steps[1]["CONVERSIONS"] == "10"
    branches = table(text_, "Branches and arms")
    assert [(b["LABEL"], b["CONVERSIONS"], b["CONVERSION RATE"]) for b in branches] == [
        ("a", "8", "40.0%"),
        ("b", "2", "-"),
    ]
    [test] = table(text_, "Significance tests")
    assert test == {
        "STEP": "ab",
        "TEST": "chi-square",
        "ARMS": "a / b",
        "STATISTIC": "4.652",
        "DOF": "1",
        "P VALUE": "0.0310",
        "SIGNIFICANT": "yes",
    }  # `reason` null in every row: no column

    plain = Console(file=io.StringIO(), width=200, record=True)
    render({"enrolled": 0, "steps": [], "branches": []}, plain)  # an older, smaller answer
    assert table(plain.export_text(), "Scenario") == [{"ENROLLED": "0"}]
    assert "Steps" not in plain.export_text()


async def test_friend_show_has_profile_enrollments_and_timeline(stack, env):
    scenario_id = await stack.scenario(scenario(text("welcome", "Welcome"), PLAN))
    friend = user(630)
    await stack.api.put(f"/friends/{friend}/attributes", json={"plan": "free", "age": 27})
    await stack.api.post(f"/friends/{friend}/tags", json={"tags": ["vip", "member"]})
    await stack.follow(friend, display_name="Hanako")
    await stack.until_status(scenario_id, friend, "waiting", step="later")
    await until_entry(stack, friend, "step_entered", "later")

    result = await stepline(env, "friend", "show", friend)
    assert result.exit_code == 0, result.output
    profile = result.output.split("Enrollments")[0]
    assert f"Friend {friend}" in profile
    for name, value in [
        ("display name", "Hanako"),
        ("following", "yes"),
        ("follow epoch", "1"),
        ("route", "unknown"),
        ("tags", "member, vip"),
        ("attributes", "plan=free, age=27"),
    ]:
        assert re.search(rf"^\s*{name}\s{{2,}}{re.escape(value)}\s*$", profile, re.M), name
    [enrollment] = table(result.output, "Enrollments")
    assert (enrollment["SCENARIO"], enrollment["STATUS"], enrollment["STEP"]) == (
        scenario_id,
        "waiting",
        "later",
    )
    assert enrollment["SOURCE"] == "workflow" and enrollment["HOLD"] == "-"
    timeline = table(result.output, "Timeline")
    api = (await stack.api.get(f"/friends/{friend}/timeline")).json()["entries"]
    assert [(row["KIND"], row["STEP"]) for row in timeline] == [
        (entry["kind"], shown(entry["step_id"])) for entry in api
    ]
    assert [row["KIND"] for row in timeline] == [
        "follow",
        "enrolled",
        "step_entered",
        "sent",
        "step_entered",
        "decision",
        "step_entered",
    ]
    assert timeline[5]["WHAT"] == '→ otherwise {"attribute:plan":"free"}'
    assert timeline[0]["WHAT"] == "added the account"

    newest = await stepline(env, "friend", "show", friend, "--limit", "2")
    assert [row["KIND"] for row in table(newest.output, "Timeline (the newest entries)")] == [
        "decision",
        "step_entered",
    ]


async def test_friend_show_of_an_unknown_friend_says_so(stack, env):
    missing = user(631)
    result = await stepline(env, "friend", "show", missing)
    assert result.exit_code == 1
    assert f"GET /friends/{missing} → 404" in result.output
    assert f"no friend {missing}" in result.output
    malformed = await stepline(env, "friend", "show", "someone")
    assert malformed.exit_code == 2 and "U followed by 32 lowercase hex" in malformed.output


async def test_friend_import_uploads_with_progress_and_reports(stack, env, tmp_path, monkeypatch):
    known = user(640)
    await stack.api.put(f"/friends/{known}/attributes", json={"plan": "free", "keep": "me"})
    rows = [f"{user(641 + n)},gold,{n % 90}" for n in range(3000)]
    file = tmp_path / "friends.csv"
    file.write_text("user_id,plan,age\n" + f"{known},gold,31\n" + "\n".join(rows) + "\n")
    advanced: list[float] = []
    real_advance = Progress.advance

    def advance(self, task_id, advance: float = 1) -> None:
        advanced.append(advance)
        real_advance(self, task_id, advance)

    monkeypatch.setattr(Progress, "advance", advance)

    checked = await stepline(env, "friend", "import", str(file), "--dry-run")
    assert checked.exit_code == 0, checked.output
    assert "friends.csv: would import 3001 friend(s): 3000 new, 1 updated" in checked.output
    assert (await stack.api.get(f"/friends/{user(641)}")).status_code == 404  # nothing written
    assert sum(advanced) == file.stat().st_size and len(advanced) > 1  # in chunks, by bytes

    result = await stepline(env, "friend", "import", str(file))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "friends.csv: imported 3001 friend(s): 3000 new, 1 updated",
        "attributes: age, plan",
    ]
    read = (await stack.api.get(f"/friends/{known}")).json()
    assert read["attributes"] == {"plan": "gold", "keep": "me", "age": 31}
    created = (await stack.api.get(f"/friends/{user(641 + 95)}")).json()
    assert created["attributes"] == {"plan": "gold", "age": 95 % 90}


async def test_friend_import_of_a_bad_file_shows_the_apis_problems(stack, env, tmp_path):
    file = tmp_path / "bad.csv"
    file.write_text(f"user_id,plan\n{user(650)},gold\nnot-a-user,gold\n")
    result = await stepline(env, "friend", "import", str(file))
    assert result.exit_code == 1
    assert "POST /friends/import → 422" in result.output
    assert "line 3.user_id: not a LINE user ID" in result.output
    assert (await stack.api.get(f"/friends/{user(650)}")).status_code == 404  # all or nothing
    no_header = tmp_path / "empty.csv"
    no_header.write_text("")
    empty = await stepline(env, "friend", "import", str(no_header))
    assert empty.exit_code == 1 and "422" in empty.output
    missing = await stepline(env, "friend", "import", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 2 and "does not exist" in missing.output
