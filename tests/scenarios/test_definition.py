"""Scenario definitions (docs/CONTRACT.md §3.1): parsing, round trips, and validation errors with paths."""

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError
from temporalio.contrib.pydantic import pydantic_data_converter

from domain.durations import parse_duration
from domain.steps import BranchStep, MessageStep, WaitStep, walk_steps
from scenarios.definition import ScenarioDefinition
from scenarios.trigger import FollowTrigger
from scenarios.validate import (
    DefinitionError,
    audience_references,
    validate_definition,
    wait_errors,
)

AUDIENCE = "aud_3f9a1c0b7e2d"

# docs/CONTRACT.md §3.1's example as written, with a real-looking audience id. (`exit: [{event: purchase}]`
# is left out: exit conditions and event conditions are not in the definition model yet.)
CONTRACT_EXAMPLE: dict[str, Any] = {
    "name": "New friend follow-up",
    "timezone": "Asia/Tokyo",
    "trigger": {
        "type": "follow",
        "routes": ["qr_code"],
        "added_from": "2026-11-01T00:00:00+09:00",
        "added_until": None,
    },
    "delivery_cap": 10000,
    "steps": [
        {
            "id": "welcome",
            "type": "message",
            "messages": [{"type": "text", "text": "Welcome, {displayName}!"}],
        },
        {"id": "wait-1d", "type": "wait", "duration": "P1D"},
        {
            "id": "coupon",
            "type": "message",
            "window": {"start": "10:00", "end": "20:00"},
            "messages": [{"type": "coupon", "couponId": "01JYNW8JMQVFBNWF1APF8Z3FS7"}],
        },
        {
            "id": "split",
            "type": "branch",
            "branches": [
                {
                    "label": "women in their 20s",
                    "when": {
                        "all": [
                            {"attribute": "gender", "equals": "female"},
                            {"attribute": "age", "between": [20, 29]},
                        ]
                    },
                    "steps": [
                        {"id": "a", "type": "message", "messages": [{"type": "text", "text": "A"}]}
                    ],
                },
                {
                    "label": "VIP",
                    "when": {"audience": AUDIENCE},
                    "steps": [
                        {"id": "b", "type": "message", "messages": [{"type": "text", "text": "B"}]}
                    ],
                },
            ],
            "otherwise": [
                {"id": "c", "type": "message", "messages": [{"type": "text", "text": "C"}]}
            ],
        },
    ],
}


def spec_example() -> dict[str, Any]:
    return copy.deepcopy(CONTRACT_EXAMPLE)


def with_every_condition() -> dict[str, Any]:
    """The contract's example plus a branch using `in`, `not`, `any`, `tag`, `gte`, `exists`: the
    fields whose Python names differ from their JSON names must survive every round trip."""
    document = spec_example()
    document["steps"][3]["branches"].append(
        {
            "label": "members, not on trial",
            "when": {
                "any": [
                    {"attribute": "plan", "in": ["gold", "platinum"]},
                    {
                        "all": [
                            {"not": {"tag": "trial"}},
                            {"attribute": "age", "gte": 60},
                            {"attribute": "area", "exists": True},
                            {"attribute": "os", "not_in": ["android"]},
                        ]
                    },
                ]
            },
            "steps": [{"id": "d", "type": "message", "messages": [{"type": "text", "text": "D"}]}],
        }
    )
    return document


# --- the contract's example ------------------------------------------------------------


def test_spec_example_parses() -> None:
    definition = validate_definition(spec_example())
    assert definition.name == "New friend follow-up"
    assert definition.timezone == "Asia/Tokyo"
    assert definition.delivery_cap == 10000
    trigger = definition.trigger
    assert isinstance(trigger, FollowTrigger)
    assert trigger.routes == ["qr_code"]
    assert trigger.added_from == datetime(2026, 10, 31, 15, 0, tzinfo=UTC)
    assert trigger.added_until is None
    welcome, wait, coupon, split = definition.steps
    assert isinstance(welcome, MessageStep) and welcome.window is None and welcome.track_links
    assert isinstance(wait, WaitStep) and wait.delta == timedelta(days=1)
    assert isinstance(coupon, MessageStep)
    assert (coupon.window.start, coupon.window.end) == ("10:00", "20:00")
    assert isinstance(split, BranchStep)
    assert [branch.label for branch in split.branches] == ["women in their 20s", "VIP"]
    assert [step.id for step in split.otherwise] == ["c"]
    assert [ref for _, ref in audience_references(definition)] == [AUDIENCE]


def test_timezone_defaults_to_tokyo() -> None:
    document = spec_example()
    del document["timezone"]
    assert validate_definition(document).timezone == "Asia/Tokyo"


def test_dump_is_the_document_without_nulls() -> None:
    dumped = validate_definition(spec_example()).dump()
    assert "added_until" not in dumped["trigger"]
    assert dumped["steps"][3]["branches"][1]["when"] == {"audience": AUDIENCE}
    assert validate_definition(dumped) == validate_definition(spec_example())


# --- round trips --------------------------------------------------------------------------


def test_json_round_trip_is_unchanged() -> None:
    definition = validate_definition(with_every_condition())
    text = definition.model_dump_json()
    assert ScenarioDefinition.model_validate_json(text) == definition
    when = json.loads(text)["steps"][3]["branches"][2]["when"]
    assert when["any"][0]["in"] == ["gold", "platinum"]
    assert when["any"][1]["all"][0] == {"not": {"tag": "trial"}}
    assert '"in_"' not in text and '"not_"' not in text


def test_temporal_payload_round_trip_is_unchanged() -> None:
    # Every enrollment workflow carries its definition through Temporal's pydantic converter.
    definition = validate_definition(with_every_condition())
    converter = pydantic_data_converter.payload_converter
    payloads = converter.to_payloads([definition])
    (back,) = converter.from_payloads(payloads, [ScenarioDefinition])
    assert back == definition
    assert isinstance(back.steps[3], BranchStep)
    data = json.loads(payloads[0].data)
    when = data["steps"][3]["branches"][2]["when"]
    assert when["any"][0]["in"] == ["gold", "platinum"]
    assert when["any"][1]["all"][0] == {"not": {"tag": "trial"}}
    assert b'"in_"' not in payloads[0].data and b'"not_"' not in payloads[0].data


# --- validation errors name the path --------------------------------------------------------


def _set(*path: str | int, value: Any):
    def mutate(document: dict) -> None:
        node = document
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return mutate


WHEN = ("steps", 3, "branches", 0, "when")

REJECTED = {
    "unknown step type": (
        _set("steps", 1, value={"id": "wait-1d", "type": "teleport"}),
        "steps[1].type",
    ),
    "step without a type": (_set("steps", 1, value={"id": "wait-1d"}), "steps[1].type"),
    "unknown step field": (_set("steps", 2, "colour", value="red"), "steps[2].colour"),
    "unknown top-level field": (_set("colour", value="red"), "colour"),
    "unknown window field": (
        _set("steps", 2, "window", "days", value=["mon"]),
        "steps[2].window.days",
    ),
    "unknown trigger": (_set("trigger", value={"type": "sunrise"}), "trigger.type"),
    "duplicate step id at the top": (_set("steps", 2, "id", value="welcome"), "steps[2].id"),
    "duplicate step id in a branch": (
        _set("steps", 3, "branches", 1, "steps", 0, "id", value="a"),
        "steps[3].branches[1].steps[0].id",
    ),
    "duplicate step id in otherwise": (
        _set("steps", 3, "otherwise", 0, "id", value="coupon"),
        "steps[3].otherwise[0].id",
    ),
    "branch step reusing an id": (_set("steps", 3, "id", value="wait-1d"), "steps[3].id"),
    "negative wait": (_set("steps", 1, "duration", value="-P1D"), "steps[1].duration"),
    "wait over 365 days": (_set("steps", 1, "duration", value="P366D"), "steps[1].duration"),
    "bad timezone": (_set("timezone", value="Mars/Olympus_Mons"), "timezone"),
    "window start equals end": (
        _set("steps", 2, "window", value={"start": "10:00", "end": "10:00"}),
        "steps[2].window",
    ),
    "window start 25:00": (
        _set("steps", 2, "window", "start", value="25:00"),
        "steps[2].window.start",
    ),
    "window end 8pm": (_set("steps", 2, "window", "end", value="8pm"), "steps[2].window.end"),
    "more than 5 messages": (
        _set("steps", 0, "messages", value=[{"type": "text", "text": str(n)} for n in range(6)]),
        "steps[0].messages",
    ),
    "no messages": (_set("steps", 0, "messages", value=[]), "steps[0].messages"),
    "text over 5,000 UTF-16 units": (
        _set("steps", 0, "messages", 0, "text", value="😀" * 2501),  # 5,002 units
        "steps[0].messages[0].text",
    ),
    "http image": (
        _set(
            "steps",
            0,
            "messages",
            0,
            value={
                "type": "image",
                "originalContentUrl": "http://example.com/a.jpg",
                "previewImageUrl": "https://example.com/a.jpg",
            },
        ),
        "steps[0].messages[0].originalContentUrl",
    ),
    "unknown message type": (
        _set("steps", 0, "messages", 0, "type", value="hologram"),
        "steps[0].messages[0].type",
    ),
    "coupon without its id": (
        _set("steps", 2, "messages", 0, value={"type": "coupon"}),
        "steps[2].messages[0].couponId",
    ),
    "message in a branch": (
        _set("steps", 3, "otherwise", 0, "messages", 0, "text", value=""),
        "steps[3].otherwise[0].messages[0].text",
    ),
    "between the wrong way round": (
        _set(*WHEN, "all", 1, "between", value=[29, 20]),
        "steps[3].branches[0].when.all[1].between",
    ),
    "between with words": (
        _set(*WHEN, "all", 1, "between", value=["twenty", 29]),
        "steps[3].branches[0].when.all[1].between[0]",
    ),
    "attribute condition with two operators": (
        _set(*WHEN, "all", 0, "in", value=["female"]),
        "steps[3].branches[0].when.all[0]",
    ),
    "attribute condition without an operator": (
        _set(*WHEN, value={"attribute": "plan"}),
        "steps[3].branches[0].when",
    ),
    "unknown condition": (
        _set(*WHEN, "all", 0, value={"moon": "full"}),
        "steps[3].branches[0].when.all[0]",
    ),
    "bad value inside not": (
        _set(*WHEN, value={"not": {"tag": ""}}),
        "steps[3].branches[0].when.not.tag",
    ),
    "branch without a label": (
        _set("steps", 3, "branches", 0, "label", value=""),
        "steps[3].branches[0].label",
    ),
    "added_until before added_from": (
        _set("trigger", "added_until", value="2026-10-01T00:00:00+09:00"),
        "trigger",
    ),
    "added_from without a timezone": (
        _set("trigger", "added_from", value="2026-11-01T00:00:00"),
        "trigger.added_from",
    ),
    "delivery cap of zero": (_set("delivery_cap", value=0), "delivery_cap"),
    "no steps": (_set("steps", value=[]), "steps"),
}


@pytest.mark.parametrize(("mutate", "path"), REJECTED.values(), ids=REJECTED.keys())
def test_rejected_with_the_document_path(mutate, path: str) -> None:
    document = spec_example()
    mutate(document)
    with pytest.raises(DefinitionError) as caught:
        validate_definition(document)
    paths = [error["path"] for error in caught.value.errors]
    assert path in paths, caught.value.errors
    assert all(set(error) == {"path", "msg", "type"} for error in caught.value.errors)
    assert path in str(caught.value)


def test_every_problem_is_reported_at_once() -> None:
    document = spec_example()
    document["timezone"] = "Nowhere/Special"
    document["steps"][1]["duration"] = "P400D"
    document["steps"][2]["window"]["start"] = "24:00"
    with pytest.raises(DefinitionError) as caught:
        validate_definition(document)
    assert sorted(error["path"] for error in caught.value.errors) == [
        "steps[1].duration",
        "steps[2].window.start",
        "timezone",
    ]


def test_every_duplicate_id_is_reported_with_the_first_use() -> None:
    document = spec_example()
    document["steps"][3]["branches"][0]["steps"][0]["id"] = "welcome"
    document["steps"][3]["otherwise"][0]["id"] = "coupon"
    with pytest.raises(DefinitionError) as caught:
        validate_definition(document)
    errors = {error["path"]: error["msg"] for error in caught.value.errors}
    assert set(errors) == {"steps[3].branches[0].steps[0].id", "steps[3].otherwise[0].id"}
    assert "steps[0]" in errors["steps[3].branches[0].steps[0].id"]
    assert "steps[2]" in errors["steps[3].otherwise[0].id"]


def test_the_same_id_in_two_scenarios_is_fine() -> None:
    first, second = spec_example(), spec_example()
    second["name"] = "Another"
    assert validate_definition(first).steps[0].id == validate_definition(second).steps[0].id


# --- durations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("PT1S", timedelta(seconds=1)),
        ("PT30S", timedelta(seconds=30)),
        ("PT1M", timedelta(minutes=1)),  # M after T is minutes
        ("PT2H", timedelta(hours=2)),
        ("P1D", timedelta(days=1)),
        ("P1DT12H", timedelta(days=1, hours=12)),
        ("P2W", timedelta(weeks=2)),
        ("P365D", timedelta(days=365)),
    ],
)
def test_duration_accepted(text: str, delta: timedelta) -> None:
    step = WaitStep(id="w", type="wait", duration=text)
    assert step.delta == delta == parse_duration(text)


@pytest.mark.parametrize(
    "text", ["PT0S", "P0D", "P366D", "P365DT1S", "-P1D", "P1M", "P1Y", "1 day", "", "P", "1d"]
)
def test_duration_rejected(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        WaitStep(id="w", type="wait", duration=text)
    assert [error["loc"] for error in caught.value.errors()] == [("duration",)]
    document = spec_example()
    document["steps"][1]["duration"] = text
    with pytest.raises(DefinitionError) as rejected:
        validate_definition(document)
    assert [error["path"] for error in rejected.value.errors] == ["steps[1].duration"]


# --- waits until a moment -------------------------------------------------------------------

XMAS = "2026-12-24T10:00:00+09:00"
XMAS_UTC = datetime(2026, 12, 24, 1, 0, tzinfo=UTC)
SUBMITTED = datetime(2026, 11, 1, tzinfo=UTC)  # when the tests below submit their definitions


def _until(value: Any) -> dict[str, Any]:
    document = spec_example()
    document["steps"][1] = {"id": "wait-1d", "type": "wait", "until": value}
    return document


def _problems(document: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(DefinitionError) as caught:
        validate_definition(document, now=SUBMITTED)
    return [(error["path"], error["msg"]) for error in caught.value.errors]


def test_until_wait_parses_keeps_its_offset_and_wakes_at_that_moment() -> None:
    definition = validate_definition(_until(XMAS), now=SUBMITTED)
    wait = definition.steps[1]
    assert isinstance(wait, WaitStep)
    assert wait.until == XMAS_UTC and wait.until.utcoffset() == timedelta(hours=9)
    assert (wait.duration, wait.delta) == (None, None)
    assert definition.dump()["steps"][1] == {"id": "wait-1d", "type": "wait", "until": XMAS}
    before = XMAS_UTC - timedelta(days=3, seconds=7)
    assert wait.wake(before) == XMAS_UTC and wait.wake(before).tzinfo == UTC
    later = XMAS_UTC + timedelta(hours=1)
    assert wait.wake(later) == later  # already past: no wait
    converter = pydantic_data_converter.payload_converter  # what every enrollment carries
    (back,) = converter.from_payloads(converter.to_payloads([definition]), [ScenarioDefinition])
    assert back == definition and back.steps[1].until == XMAS_UTC


@pytest.mark.parametrize(
    "text", [XMAS, "2026-12-24T01:00:00Z", "2026-12-24T01:00:00+00:00", "2026-12-23T20:00-05:00"]
)
def test_until_takes_any_offset(text: str) -> None:
    assert WaitStep(id="w", type="wait", until=text).until == XMAS_UTC


def test_until_from_yaml_is_a_datetime_and_counts_the_same() -> None:
    # YAML reads an unquoted `until: 2026-12-24T10:00:00+09:00` as a datetime, not a string
    moment = datetime(2026, 12, 24, 10, 0, tzinfo=timezone(timedelta(hours=9)))
    assert WaitStep(id="w", type="wait", until=moment).until == XMAS_UTC


def test_duration_wait_is_serialized_as_before() -> None:
    # no `until: null`: stored definitions and enrollment inputs stay what they were
    wait = WaitStep(id="w", type="wait", duration="P1D")
    assert wait.model_dump() == {"id": "w", "type": "wait", "duration": "P1D"}
    assert json.loads(wait.model_dump_json()) == {"id": "w", "type": "wait", "duration": "P1D"}
    assert wait.wake(XMAS_UTC) == XMAS_UTC + timedelta(days=1)


@pytest.mark.parametrize(
    "value", ["2026-12-24T10:00:00", "2026-12-24 10:00", "2026-12-24", datetime(2026, 12, 24, 10)]
)
def test_until_without_an_offset_is_refused_naming_the_field(value: Any) -> None:
    ((path, msg),) = _problems(_until(value))
    assert path == "steps[1].until"
    assert "UTC offset" in msg and "+09:00" in msg


@pytest.mark.parametrize(
    "value", ["tomorrow", "2026-02-30T00:00:00Z", "", 1798077600, True, "0001-01-01T00:00:00+09:00"]
)
def test_until_that_is_no_moment_is_refused(value: Any) -> None:
    assert [path for path, _ in _problems(_until(value))] == ["steps[1].until"]


def test_a_wait_needs_duration_or_until() -> None:
    document = spec_example()
    document["steps"][1] = {"id": "wait-1d", "type": "wait"}
    ((path, msg),) = _problems(document)
    assert path == "steps[1]"
    assert "`duration`" in msg and "`until`" in msg


def test_a_wait_takes_duration_or_until_not_both() -> None:
    document = _until(XMAS)
    document["steps"][1]["duration"] = "P1D"
    ((path, msg),) = _problems(document)
    assert path == "steps[1]"
    assert "not both" in msg


def test_until_more_than_365_days_ahead_is_refused_like_a_longer_duration() -> None:
    at_limit = (SUBMITTED + timedelta(days=365)).isoformat()
    assert validate_definition(_until(at_limit), now=SUBMITTED).steps[1].until is not None
    beyond = (SUBMITTED + timedelta(days=365, seconds=1)).isoformat()
    ((path, msg),) = _problems(_until(beyond))
    assert path == "steps[1].until"
    assert "365 days" in msg


def test_until_in_the_past_is_fine() -> None:
    past = (SUBMITTED - timedelta(days=400)).isoformat()
    assert validate_definition(_until(past), now=SUBMITTED).steps[1].until is not None


def test_until_is_checked_inside_nested_steps_too() -> None:
    document = spec_example()
    far = {"id": "far", "type": "wait", "until": "2030-01-01T00:00:00Z"}
    document["steps"][3]["otherwise"].insert(0, far)
    definition = ScenarioDefinition.model_validate(document)  # the model alone: no `now`
    assert [error["path"] for error in wait_errors(definition, SUBMITTED)] == [
        "steps[3].otherwise[0].until"
    ]
    assert wait_errors(definition, datetime(2029, 6, 1, tzinfo=UTC)) == []


# --- walking the steps ----------------------------------------------------------------------


def _message(step_id: str) -> dict:
    return {"id": step_id, "type": "message", "messages": [{"type": "text", "text": step_id}]}


def test_walk_steps_is_depth_first_in_document_order() -> None:
    definition = validate_definition(
        {
            "name": "nested",
            "trigger": {"type": "follow"},
            "steps": [
                _message("first"),
                {
                    "id": "outer",
                    "type": "branch",
                    "branches": [
                        {
                            "label": "gold",
                            "when": {"attribute": "plan", "equals": "gold"},
                            "steps": [
                                _message("gold-1"),
                                {
                                    "id": "inner",
                                    "type": "branch",
                                    "branches": [
                                        {
                                            "label": "tokyo",
                                            "when": {"attribute": "area", "equals": "tokyo"},
                                            "steps": [_message("gold-tokyo")],
                                        }
                                    ],
                                    "otherwise": [_message("gold-elsewhere")],
                                },
                            ],
                        },
                        {"label": "vip", "when": {"tag": "vip"}, "steps": []},
                        {"label": "trial", "when": {"tag": "trial"}, "steps": [_message("trial")]},
                    ],
                    "otherwise": [_message("everyone")],
                },
                {"id": "rest", "type": "wait", "duration": "P1D"},
                _message("last"),
            ],
        }
    )
    assert [(path, step.id) for path, step in walk_steps(definition.steps)] == [
        ("steps[0]", "first"),
        ("steps[1]", "outer"),
        ("steps[1].branches[0].steps[0]", "gold-1"),
        ("steps[1].branches[0].steps[1]", "inner"),
        ("steps[1].branches[0].steps[1].branches[0].steps[0]", "gold-tokyo"),
        ("steps[1].branches[0].steps[1].otherwise[0]", "gold-elsewhere"),
        ("steps[1].branches[2].steps[0]", "trial"),
        ("steps[1].otherwise[0]", "everyone"),
        ("steps[2]", "rest"),
        ("steps[3]", "last"),
    ]


def test_walk_steps_without_otherwise() -> None:
    definition = validate_definition(
        {
            "name": "no otherwise",
            "trigger": {"type": "follow"},
            "steps": [
                {
                    "id": "split",
                    "type": "branch",
                    "branches": [
                        {"label": "vip", "when": {"tag": "vip"}, "steps": [_message("v")]}
                    ],
                },
                _message("after"),
            ],
        }
    )
    assert [step.id for _, step in walk_steps(definition.steps)] == ["split", "v", "after"]


# --- the follow trigger ---------------------------------------------------------------------

FROM = datetime(2026, 11, 1, 0, 0, tzinfo=UTC) + timedelta(hours=-9)  # 2026-11-01 00:00 JST
UNTIL = datetime(2026, 12, 1, 0, 0, tzinfo=UTC) + timedelta(hours=-9)  # 2026-12-01 00:00 JST
DURING = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


def test_trigger_without_routes_admits_every_route() -> None:
    trigger = FollowTrigger(type="follow")
    for route in ("qr_code", "unknown", "ad"):
        assert trigger.admits(route=route, added_at=DURING)


def test_trigger_routes() -> None:
    trigger = FollowTrigger(type="follow", routes=["qr_code", "shop_flyer"])
    assert trigger.admits(route="qr_code", added_at=DURING)
    assert trigger.admits(route="shop_flyer", added_at=DURING)
    assert not trigger.admits(route="unknown", added_at=DURING)
    assert not trigger.admits(route="QR_CODE", added_at=DURING)


def test_trigger_routes_may_not_be_empty() -> None:
    with pytest.raises(ValidationError):
        FollowTrigger(type="follow", routes=[])


def test_added_from_is_inclusive_and_added_until_exclusive() -> None:
    trigger = FollowTrigger.model_validate(
        {
            "type": "follow",
            "added_from": "2026-11-01T00:00:00+09:00",
            "added_until": "2026-12-01T00:00:00+09:00",
        }
    )
    tick = timedelta(microseconds=1)
    assert not trigger.admits(route="unknown", added_at=FROM - tick)
    assert trigger.admits(route="unknown", added_at=FROM)
    assert trigger.admits(route="unknown", added_at=DURING)
    assert trigger.admits(route="unknown", added_at=UNTIL - tick)
    assert not trigger.admits(route="unknown", added_at=UNTIL)
    # The same instant written in another zone is the same instant.
    assert trigger.admits(route="unknown", added_at=datetime(2026, 10, 31, 15, 0, tzinfo=UTC))


def test_open_ended_periods() -> None:
    since = FollowTrigger(type="follow", added_from=FROM)
    assert since.admits(route="x", added_at=FROM + timedelta(days=3650))
    assert not since.admits(route="x", added_at=FROM - timedelta(seconds=1))
    before = FollowTrigger(type="follow", added_until=UNTIL)
    assert before.admits(route="x", added_at=UNTIL - timedelta(days=3650))
    assert not before.admits(route="x", added_at=UNTIL)


def test_routes_and_period_must_both_hold() -> None:
    trigger = FollowTrigger(type="follow", routes=["qr_code"], added_from=FROM, added_until=UNTIL)
    assert trigger.admits(route="qr_code", added_at=DURING)
    assert not trigger.admits(route="ad", added_at=DURING)
    assert not trigger.admits(route="qr_code", added_at=UNTIL)


def test_a_period_must_not_be_empty() -> None:
    with pytest.raises(ValidationError):
        FollowTrigger(type="follow", added_from=FROM, added_until=FROM)
