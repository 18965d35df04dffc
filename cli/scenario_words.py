"""What `stepline scenario apply`, `template`, `activate` and `list` say: what was done in
one line a newcomer understands, with the next command when there is one, and the API's
warnings (follow scenarios taking the same new friends, app/overlaps.py) after it."""

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import typer

from cli.targets import fail

if TYPE_CHECKING:
    import httpx


def activate_hint(scenario_id: str) -> str:
    return f"activate with: stepline scenario activate {scenario_id}"


def apply(
    api: "httpx.Client",
    document: dict[str, Any],
    scenario_id: str | None,
    *,
    activate: bool,
    migrate: bool,
) -> dict[str, Any]:
    """Create the scenario or give it a version (none when the document is unchanged),
    activate it if asked; the last answer with `line`, what to print."""
    if scenario_id is None:
        answer = api.post("/scenarios", json=document)
    else:
        path = f"/scenarios/{quote(scenario_id, safe='')}"
        answer = api.put(path, json=document, params={"migrate": "true"} if migrate else None)
    fail(answer)
    done = answer.json()
    was = done["status"]
    if activate and was in ("draft", "paused"):
        activated = api.post(f"/scenarios/{done['id']}/activate")
        fail(activated)
        done |= activated.json()
    sid, version, status = done["id"], done["version"], done["status"]
    activated_now = status != was
    now = "activated" if activated_now else status
    if scenario_id is None:
        line = f"created {sid} v{version} ({status})"
    elif done.get("unchanged"):
        line = f"{sid} unchanged (v{version}, {now}{_running(api, done, migrate)})"
    else:
        line = f"{sid} v{version} ({now}{_running(api, done, migrate)})"
    if status == "draft":
        line += f" — {activate_hint(sid)}"
    return done | {"line": line}


def _running(api: "httpx.Client", done: dict[str, Any], migrate: bool) -> str:
    """What becomes of the friends on their way through older versions."""
    if migrate:
        moving = done.get("migrating") or 0
        return f"; moving {moving} running friend(s) to it" if moving else ""
    if done["status"] == "draft":
        return ""
    impact = api.get(f"/scenarios/{done['id']}/impact")
    if impact.status_code != 200:
        return ""
    found = impact.json()
    older = found["running"] - found["already"]
    versions = sorted({row["version"] for row in found["steps"]} - {found["to_version"]})
    if older <= 0 or not versions:
        return ""
    on = ", ".join(f"v{v}" for v in versions)
    return f"; {older} running friend(s) stay on {on} — add --migrate to move them"


def template_line(done: dict[str, Any], template: str) -> str:
    """What `stepline scenario template` did: created, or found the one of the same name."""
    sid, version, status = done["id"], done["version"], done["status"]
    line = f"{sid} v{version} ({status})"
    if not done.get("existing"):
        line = f"created {line} from template {template}"
    elif done.get("activated"):
        line += " of this name was there already: activated it rather than make a second"
    else:
        line += " of this name was there already: made no second"
    if done.get("existing"):
        line += " (--new makes another)"
    if status == "draft":
        line += f" — {activate_hint(sid)}"
    return line


def warn(warnings: list[dict[str, Any]]) -> None:
    """Each warning once, on stderr."""
    seen: set[str] = set()
    for warning in warnings:
        if warning["msg"] not in seen:
            seen.add(warning["msg"])
            typer.secho(f"warning: {warning['msg']}", fg="yellow", err=True)
