"""One outage run (tests/faults/test_outage.py): the scenarios, the friends waiting where the
changes will find them, Temporal stopped while one change of every kind is made, started
again; then the pause's resume and an event the API is killed before dispatching."""

import asyncio
import json
import os
import re
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

from tests.api.helpers import scenario, text, wait
from tests.faults.outage import Outage, survey_data
from tests.support.stack import user

REPORT = os.environ.get("STEPLINE_OUTAGE_REPORT")  # where to write the figures (JSON)
OUTAGE = float(os.environ.get("STEPLINE_OUTAGE_SECONDS", "8"))  # `make reliability`: 60
LONG = "P1D"  # waits no timer ends during the run: only the change can move them on
WELCOME = "follow:welcome"
WHO = {
    name: user(0x0A7A_0000 + n)
    for n, name in enumerate(
        "follow unfollow event exit wait_for audience date tag click survey pause kill".split()
    )
}


def on_event(name: str, *steps: dict, **extra) -> dict:
    return {**scenario(*steps, **extra), "name": name, "trigger": {"type": "event", "event": name}}


def wait_for(until: dict, then: str | dict) -> dict:
    return {
        "id": "until",
        "type": "wait_for",
        "until": until,
        "timeout": LONG,
        "then": [text("then", then) if isinstance(then, str) else then],
        "on_timeout": [text("late", "too late")],
    }


def branch(when: dict, yes: str, no: str) -> dict:
    """A branch that reads what the change made true."""
    return {
        "id": "read",
        "type": "branch",
        "branches": [{"label": "yes", "when": when, "steps": [text("yes", yes)]}],
        "otherwise": [text("no", no)],
    }


SCENARIOS = {
    "follow": {**scenario(text("hi", WELCOME), wait("w", LONG), text("later", "later")), "name": "follow"},  # noqa: E501
    "event": on_event("cart_add", text("hi", "cart:hi")),
    "exit": on_event(
        "signup", text("hi", "exit:hi"), wait("w", LONG), text("later", "exit:later"),
        exit=[{"event": "purchase"}],
    ),
    "wait_for": on_event("quiz", wait_for({"event": "answer"}, "wait_for:then")),
    "date": {
        "name": "birthday",
        "timezone": "Asia/Tokyo",
        "trigger": {"type": "date", "attribute": "birthday", "offset": "P0D", "at": "10:00", "yearly": True},  # noqa: E501
        "steps": [text("hi", "date:hi")],
    },
    "tag": on_event("tagme", wait_for({"tag": "vip"}, branch({"tag": "vip"}, "tag:vip", "tag:other"))),  # noqa: E501
    "click": on_event("clickme", text("link", "sale: https://example.com/sale"), wait_for({"clicked": "link"}, branch({"clicked": "link"}, "click:clicked", "click:not"))),  # noqa: E501
    "survey": on_event(
        "survey",
        {
            "id": "ask", "type": "survey", "question": "Colour?", "attribute": "colour",
            "options": [{"label": "Red", "value": "red"}, {"label": "Blue", "value": "blue"}],
            "timeout": LONG, "then": [text("thanks", "survey:thanks")],
            "on_timeout": [text("late", "too late")],
        },
    ),
    "pause": on_event("pauseme", text("hi", "pause:hi"), wait("w", "PT5S"), text("later", "pause:later")),  # noqa: E501
    "kill": on_event("killme", text("hi", "kill:hi")),
}  # fmt: skip


@dataclass
class Run:
    outage: Outage
    ids: dict[str, str] = field(default_factory=dict)  # scenario ids by name
    texts: dict[str, list[str]] = field(default_factory=dict)  # what each friend got, at the end
    health_down: dict = field(default_factory=dict)  # /readyz while Temporal was away
    metrics_down: str = ""
    held: str = ""  # the paused friend's status between the pause and the resume
    audience: str = ""
    statuses: dict[str, str] = field(default_factory=dict)  # enrollments' at the end
    date_signals: list[dict] = field(default_factory=list)  # the date schedule's reschedules
    controls: list[str] = field(default_factory=list)  # the paused enrollment's control signals
    drained: list[float] = field(default_factory=list)  # seconds from Temporal back to none waiting

    def figures(self, database: str) -> dict:
        o = self.outage
        return {
            "database": database,
            "outage_seconds": round(o.down_seconds, 1),
            "pending_while_away": self.health_down.get("changes", {}).get("pending"),
            "health_while_away": self.health_down.get("status"),
            "drained_seconds": self.drained,
            "texts": self.texts,
            "statuses": self.statuses,
            "date_moves": [s.get("value") for s in self.date_signals],
            "controls": self.controls,
            "timeline": o.timeline,
        }

    def enrollment(self, name: str, friend: str | None = None, *, epoch: int = 1) -> str:
        return f"enrollment:{self.ids[name]}:{friend or WHO[name]}:{epoch}"


async def _event(run: Run, friend: str, name: str) -> None:
    answer = await run.outage.api.post("/events", json={"user_id": friend, "name": name})
    assert answer.status_code == 201, answer.text


async def _before(run: Run) -> None:
    """Temporal up: the scenarios, every friend but one following, each waiting where the
    change made during the outage will find them."""
    o = run.outage
    for name, definition in SCENARIOS.items():
        created = await o.api.post("/scenarios", json=definition)
        assert created.status_code == 201, created.text
        run.ids[name] = created.json()["id"]
    audience = await o.api.post("/audiences", json={"name": "outage", "kind": "upload"})
    run.audience = audience.json()["id"]
    created = await o.api.post(
        "/scenarios",
        json=scenario(
            text("hi", "audience:in"), trigger={"type": "audience", "audience": run.audience}
        ),  # noqa: E501
    )
    run.ids["audience"] = created.json()["id"]
    for scenario_id in run.ids.values():
        assert (await o.api.post(f"/scenarios/{scenario_id}/activate")).is_success
    for name, friend in WHO.items():
        if name != "follow":
            await o.follow(friend)
    birthday = {"birthday": "1990-03-01"}
    assert (await o.api.put(f"/friends/{WHO['date']}/attributes", json=birthday)).is_success
    for name, event in {"exit": "signup", "wait_for": "quiz", "tag": "tagme", "click": "clickme",
                        "survey": "survey", "pause": "pauseme"}.items():  # fmt: skip
        await _event(run, WHO[name], event)
    await o.until(lambda: len(o.texts(WHO["click"])) == 2, "the tracked link")
    await o.until(lambda: len(o.texts(WHO["survey"])) == 2, "the survey's question")
    await o.until(lambda: len(o.texts(WHO["pause"])) == 2, "the paused friend's first message")
    await o.settled()


async def _first_outage(run: Run) -> None:
    """Temporal away: one change of every kind."""
    o = run.outage
    link = re.search(r"/r/[A-Za-z0-9_\-]+", o.texts(WHO["click"])[-1]).group(0)
    question = o.pushed(WHO["survey"])[-1:]
    await o.stop_temporal()
    await o.follow(WHO["follow"])
    await o.unfollow(WHO["unfollow"])
    await _event(run, WHO["event"], "cart_add")
    await _event(run, WHO["exit"], "purchase")
    await _event(run, WHO["wait_for"], "answer")
    members = await o.api.put(
        f"/audiences/{run.audience}/members", json={"user_ids": [WHO["audience"]]}
    )  # noqa: E501
    assert members.status_code == 202, members.text
    moved = {"birthday": "1990-04-01"}
    assert (await o.api.put(f"/friends/{WHO['date']}/attributes", json=moved)).is_success
    assert (await o.api.post(f"/friends/{WHO['tag']}/tags", json={"tags": ["vip"]})).is_success
    assert (await o.api.get(link)).status_code == 302
    await o.tap(WHO["survey"], survey_data(question, 1))  # Blue
    assert (await o.api.post(f"/scenarios/{run.ids['pause']}/pause")).status_code == 202
    await asyncio.sleep(OUTAGE)

    async def failing() -> dict | None:  # a call to Temporal gives up after its 10 s timeout
        health = await o.health()
        body = {"status_code": health.status_code, **health.json()}
        return body if body["changes"]["last_error"] else None

    run.health_down = await o.until(failing, "a change failing for Temporal being away", 30)
    run.metrics_down = (await o.api.get("/metrics")).text
    await o.start_temporal()
    back = time.monotonic()
    await o.settled()
    run.drained.append(round(time.monotonic() - back, 1))


async def _second_outage(run: Run) -> None:
    """The paused friend held at their next send; Temporal away again: the resume, an event,
    and the API killed before it could act on them."""
    o = run.outage
    paused = run.enrollment("pause")
    await o.until(lambda: _is_held(o, paused), "the paused friend held", timeout=60)
    run.held = "held"
    await o.stop_temporal()
    assert (
        await o.api.post(f"/scenarios/{run.ids['pause']}/resume", params={"spread": "PT1S"})
    ).status_code == 202  # noqa: E501
    await _event(run, WHO["kill"], "killme")
    await o.kill_api()  # committed, not dispatched: nothing is left in memory
    await asyncio.sleep(1.0)
    await o.start_temporal()
    await asyncio.sleep(1.0)
    await o.start_api()
    back = time.monotonic()
    await o.settled()
    run.drained.append(round(time.monotonic() - back, 1))
    await o.until(
        lambda: "pause:later" in o.texts(WHO["pause"]), "the resumed friend's next message"
    )  # noqa: E501
    await o.until(
        lambda: o.texts(WHO["kill"])[-1:] == ["kill:hi"], "the event the API had not dispatched"
    )  # noqa: E501


async def _is_held(o: Outage, workflow_id: str) -> bool:
    handle = o.temporal_client.get_workflow_handle(workflow_id)
    state = await handle.query("status")
    return state["status"] == "held" and state["hold_reason"] == "pause"


async def run_outage(folder, database_url: str) -> Run:
    async with AsyncExitStack() as exits:
        run = Run(Outage(folder, database_url, exits))
        await run.outage.start()
        await _before(run)
        await _first_outage(run)
        await _second_outage(run)
        await asyncio.sleep(1.0)  # anything sent twice would have arrived by now
        run.texts = {name: run.outage.texts(friend) for name, friend in WHO.items()}
        run.statuses = {}
        for name in ("follow", "unfollow", "exit", "wait_for", "tag", "click", "survey", "pause"):
            friend_scenario = "follow" if name in ("follow", "unfollow") else name
            run.statuses[name] = await run.outage.status(run.enrollment(friend_scenario, WHO[name]))
        run.date_signals = await run.outage.signals(
            f"date:{run.ids['date']}:{WHO['date']}", "reschedule"
        )  # noqa: E501
        pause_controls = await run.outage.signals(run.enrollment("pause"), "control")
        run.controls = [signal["action"] for signal in pause_controls]
        return run


def report(run: Run, database: str) -> Run:
    """With STEPLINE_OUTAGE_REPORT (`make reliability`): the run's figures, for the doc."""
    if REPORT:
        figures = run.figures(database)
        Path(f"{REPORT}.{database}.json").write_text(json.dumps(figures, indent=2) + "\n")
    return run
