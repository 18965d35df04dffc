"""What `stepline scenario apply`, `template`, `activate` and `list` say: one line of what was
done (with the next command), no version for an unchanged file, no twin from a template, and
the warnings about follow scenarios that take the same new friends."""

from tests.cli.test_cli import env, stepline  # noqa: F401 (env: the fixture)
from tests.support.stack import user

DEMO = """\
name: apply words
trigger: {type: follow}
steps:
  - {id: hi, type: message, messages: [{type: text, text: "%s"}]}
  - {id: w, type: wait, duration: P3D}
  - {id: later, type: message, messages: [{type: text, text: "Later"}]}
"""


async def test_apply_says_what_it_did_and_how_to_activate(stack, env, tmp_path):  # noqa: F811
    file = tmp_path / "demo.yaml"
    file.write_text(DEMO % "Hi")
    created = await stepline(env, "scenario", "apply", str(file))
    assert created.exit_code == 0, created.output
    scenario_id = created.output.split()[1]
    assert created.output == (
        f"created {scenario_id} v1 (draft) — activate with: stepline scenario activate "
        f"{scenario_id}\n"
    )
    again = await stepline(env, "scenario", "apply", str(file))
    assert again.output.startswith(f"{scenario_id} unchanged (v1, draft) — activate with:")
    activated = await stepline(env, "scenario", "apply", str(file), "--activate")
    assert activated.output == f"{scenario_id} unchanged (v1, activated)\n"
    assert (await stack.api.get(f"/scenarios/{scenario_id}")).json()["status"] == "active"

    friend = user(900)
    await stack.follow(friend)
    await stack.until_texts(friend, ["Hi"])  # on its way, waiting three days on v1
    file.write_text(DEMO % "Hi again")
    updated = await stepline(env, "scenario", "apply", str(file))
    assert updated.output == (
        f"{scenario_id} v2 (active; 1 running friend(s) stay on v1 — add --migrate to move them)\n"
    )
    same = await stepline(env, "scenario", "apply", str(file), "--migrate")
    assert (
        same.output == f"{scenario_id} unchanged (v2, active; moving 1 running friend(s) to it)\n"
    )
    versions = (await stack.api.get(f"/scenarios/{scenario_id}")).json()["version"]
    assert versions == 2


async def test_template_answers_the_one_of_its_name_unless_new(stack, env):  # noqa: F811
    first = await stepline(env, "scenario", "template", "review-request")
    scenario_id = first.output.split()[1]
    again = await stepline(env, "scenario", "template", "review-request")
    assert again.exit_code == 0, again.output
    assert again.output.startswith(
        f"{scenario_id} v1 (draft) of this name was there already: made no second "
        "(--new makes another) — activate with: stepline scenario activate"
    )
    activated = await stepline(env, "scenario", "template", "review-request", "--activate")
    assert activated.output == (
        f"{scenario_id} v1 (active) of this name was there already: activated it rather than "
        "make a second (--new makes another)\n"
    )
    twin = await stepline(env, "scenario", "template", "review-request", "--new")
    assert twin.output.startswith("created ")
    assert "warning: 2 follow scenarios take the same new friends" in twin.output
    assert "once activated" in twin.output
    assert len((await stack.api.get("/scenarios")).json()) == 2


async def test_activate_and_list_warn_about_overlapping_follow_scenarios(stack, env, tmp_path):  # noqa: F811
    one = await stack.scenario({"name": "one", "trigger": {"type": "follow"}, "steps": [
        {"id": "hi", "type": "message", "messages": [{"type": "text", "text": "One"}]}]})  # fmt: skip
    file = tmp_path / "two.yaml"
    file.write_text(DEMO.replace("apply words", "two") % "Two")
    created = await stepline(env, "scenario", "apply", str(file))
    assert "warning: 2 follow scenarios take the same new friends" in created.output
    two = created.output.split()[1]
    listed = await stepline(env, "scenario", "list")
    assert "warning" not in listed.output  # the draft takes nobody yet
    activated = await stepline(env, "scenario", "activate", two)
    assert activated.exit_code == 0, activated.output
    assert f"({two} 'two', {one} 'one')" in activated.output  # this one first
    assert "gets 2 message(s) on the first day (1 + 1)" in activated.output
    listed = await stepline(env, "scenario", "list")
    assert listed.output.count("warning: 2 follow scenarios") == 1  # once, not per row
