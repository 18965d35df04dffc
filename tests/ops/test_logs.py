"""Structured logs: JSON lines with the ids of what they are about, from activities (Temporal's
lines about them too), workflows' loggers and the API; text for a terminal; no query strings,
no message texts."""

import io
import json
import logging
from collections.abc import Iterator

import pytest
import temporalio.activity
import temporalio.workflow

from core import logs
from tests.api.helpers import PUSHED, scenario, text
from tests.support.stack import user

SECRET_TEXT = "Your coupon code is 4242-XYZZY"


@pytest.fixture
def logging_restored() -> Iterator[None]:
    """configure() changes the root logger and uvicorn's: put them back after the test."""
    names = ("", "uvicorn", "uvicorn.error", "uvicorn.access")
    saved = {
        name: (logging.getLogger(name).handlers[:], logging.getLogger(name).level,
               logging.getLogger(name).propagate)
        for name in names
    }  # fmt: skip
    adapters = (
        temporalio.activity.logger.activity_info_on_message,
        temporalio.workflow.logger.workflow_info_on_message,
    )
    yield
    temporalio.activity.logger.activity_info_on_message = adapters[0]
    temporalio.workflow.logger.workflow_info_on_message = adapters[1]
    for name, (handlers, level, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


@pytest.fixture
def captured(logging_restored) -> Iterator[io.StringIO]:
    """What configure("json") writes, from any logger at INFO and up."""
    handler = logs.configure("json")
    stream = io.StringIO()
    handler.setStream(stream)
    yield stream


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_a_json_line_carries_the_ids_it_is_given_or_bound(captured):
    log = logging.getLogger("stepline.test")
    log.info("enrolled %s", "someone", extra={"enrollment_id": f"enrollment:scn_1:{user(1)}:2"})
    with logs.bound(webhook_event_id="01JEVENT", user_id=user(2)):
        log.warning("not handled yet")
    log.error("after the block")
    first, second, third = lines(captured)
    assert first["message"] == "enrolled someone"
    assert (first["level"], first["logger"]) == ("INFO", "stepline.test")
    assert first["time"].endswith("+00:00")
    assert (first["enrollment_id"], first["scenario_id"], first["user_id"]) == (
        f"enrollment:scn_1:{user(1)}:2",
        "scn_1",
        user(1),
    )
    assert (second["webhook_event_id"], second["user_id"]) == ("01JEVENT", user(2))
    assert "webhook_event_id" not in third and "user_id" not in third


def test_a_workflow_loggers_details_become_fields(captured):
    workflow_id = f"enrollment:scn_2:{user(3)}:1"
    details = {"workflow_id": workflow_id, "workflow_type": "EnrollmentWorkflow", "attempt": 1}
    logging.getLogger("temporalio.workflow").warning("odd", extra={"temporal_workflow": details})
    [line] = lines(captured)
    assert line["temporal_workflow"] == details
    assert (line["workflow_id"], line["enrollment_id"]) == (workflow_id, workflow_id)
    assert (line["scenario_id"], line["user_id"]) == ("scn_2", user(3))


def test_request_lines_lose_their_query_string(captured):
    access = logging.getLogger("uvicorn.access")
    access.setLevel(logging.INFO)
    path = "/join/callback?code=one-time-secret&state=abc"
    access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", path, "1.1", 302)
    [line] = lines(captured)
    assert line["message"] == '127.0.0.1:5000 - "GET /join/callback HTTP/1.1" 302'
    assert "one-time-secret" not in captured.getvalue()


def test_text_lines_end_with_the_ids(logging_restored):
    handler = logs.configure("text")
    stream = io.StringIO()
    handler.setStream(stream)
    logging.getLogger("stepline.test").info("plain", extra={"step_id": "welcome"})
    with logs.bound(enrollment_id=f"enrollment:scn_3:{user(4)}:1"):
        logging.getLogger("stepline.test").info("bound")
    plain, bound = stream.getvalue().splitlines()
    assert plain.endswith(" INFO stepline.test plain [step_id=welcome]")
    assert bound.endswith(
        f" INFO stepline.test bound [enrollment_id=enrollment:scn_3:{user(4)}:1 "
        f"scenario_id=scn_3 user_id={user(4)}]"
    )


async def test_activity_and_enrolment_lines_carry_the_enrollment_and_step(stack, captured):
    scenario_id = await stack.scenario(scenario(text("coupon", SECRET_TEXT), **PUSHED))
    friend = user(5)
    enrollment_id = f"enrollment:{scenario_id}:{friend}:1"
    fault = {"status": 500, "message": "LINE is down", "user_id": friend}
    assert (await stack.emu.post("/emulator/faults", json=fault)).status_code == 200
    await stack.follow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    found = lines(captured)

    [failed] = [line for line in found if line["message"] == "Completing activity as failed"]
    assert failed["level"] == "WARNING" and "LINE 500" in failed["exc_info"]
    expected = {
        "enrollment_id": enrollment_id,
        "workflow_id": enrollment_id,
        "scenario_id": scenario_id,
        "step_id": "coupon",
        "user_id": friend,
        "activity": "send_message_step",
        "attempt": 1,
    }
    assert {key: failed.get(key) for key in expected} == expected

    [enrolled] = [line for line in found if line["logger"] == "stepline.enrol"]
    assert enrolled["message"] == f"enrolled {friend} in {scenario_id} (follow): {enrollment_id}"
    assert (enrolled["enrollment_id"], enrolled["scenario_id"]) == (enrollment_id, scenario_id)
    assert enrolled["user_id"] == friend and enrolled["webhook_event_id"]

    ours = [line for line in found if not line["logger"].startswith("emulator")]
    assert ours and not any("4242" in json.dumps(line) for line in ours)
