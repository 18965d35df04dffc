"""Scenario definitions, near-valid and arbitrary: `POST /scenarios` and `PUT /scenarios/{id}`
answer 201/200 or a 4xx `{"detail": …}` (a 422 naming each field), never a 5xx, and a refused
definition changes nothing. `validate_definition` itself never raises anything else."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.definition import ScenarioDefinition
from scenarios.validate import DefinitionError, validate_definition
from store.tables import Scenario, ScenarioVersion
from tests.api.helpers import count
from tests.fuzz.checks import assert_refusal
from tests.fuzz.strategies import AWKWARD_NUMBERS, AWKWARD_STRINGS, encode, json_values, mutated

# ids that references name: unknown ones, and those the `known` fixture creates
AUDIENCES = ["aud_unknown"]
SCENARIOS = ["scn_unknown"]


def one_of(ids: list[str]) -> st.SearchStrategy[str]:
    """One of `ids` as the list is when drawn (the fixture adds to it after import)."""
    return st.integers(0, 3).map(lambda index: ids[index % len(ids)])


step_ids = st.sampled_from(["welcome", "wait", "a", "b"]) | st.from_regex(
    r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,8}", fullmatch=True
)
durations = st.sampled_from(
    ["PT30S", "PT1S", "P1D", "PT2H", "P1W", "P365D", "P1DT12H", "P366D", "PT0S", "-P1D", "P1M"]
    + ["P1Y", "", "P", "1D", "PT1.5S", "P99999999999999D", "PT", "P1DT", "P1W1D", "PT1H1H"]
) | st.text(max_size=10)
clocks = st.sampled_from(["10:00", "20:00", "00:00", "23:59", "24:00", "9:00", "10:60"]) | st.text(
    max_size=6
)
zones = (
    st.sampled_from(
        ["Asia/Tokyo", "UTC", "America/New_York", "Etc/GMT+9", "Factory", "posixrules", "zone.tab"]
        + ["Mars/Olympus_Mons", "", "../etc/passwd", "asia/tokyo", "/", "Asia/"]
    )
    | st.text(max_size=20)
    | st.integers(2, 3000).map(lambda depth: "a/" * depth + "b")
)
moments = st.sampled_from(
    ["2026-11-01T00:00:00+09:00", "2026-11-01T00:00:00", "0001-01-01T00:00:00Z", "tomorrow"]
    + ["9999-12-31T23:59:59+14:00", "2026-02-30T00:00:00Z"]
)
scalars = st.text(max_size=10) | st.integers(-100, 100) | st.booleans() | AWKWARD_NUMBERS

text_messages = st.builds(
    lambda text: {"type": "text", "text": text},
    st.sampled_from(["Hi {displayName}", "{attribute:plan}", "{displayname}", "https://x.jp/a"])
    | st.text(max_size=40)
    | AWKWARD_STRINGS,
)
media_urls = st.sampled_from(["https://example.com/a.png", "http://example.com/a.png", "ftp://x"])
messages = (
    text_messages
    | st.builds(
        lambda url: {"type": "image", "originalContentUrl": url, "previewImageUrl": url}, media_urls
    )
    | st.just({"type": "sticker", "packageId": "446", "stickerId": "1988"})
    | st.just({"type": "coupon", "couponId": "01JYNW8JMQVFBNWF1APF8Z3FS7"})
)

attribute_conditions = st.builds(
    lambda name, operator, value: {"attribute": name, operator: value},
    st.sampled_from(["gender", "age", "plan"]),
    st.sampled_from(["equals", "in", "not_in", "between", "gte", "lte", "exists"]),
    scalars | st.lists(scalars, max_size=3),
)
leaf_conditions = (
    attribute_conditions
    | st.builds(lambda a: {"audience": a}, one_of(AUDIENCES))
    | st.builds(lambda t: {"tag": t}, st.text(max_size=10))
    | st.builds(
        lambda e, w: {"event": e, "within": w}, st.sampled_from(["purchase", ""]), durations
    )
    | st.builds(lambda s: {"clicked": s}, step_ids)
)
conditions = st.recursive(
    leaf_conditions,
    lambda inner: (
        st.builds(lambda c: {"all": c}, st.lists(inner, max_size=3))
        | st.builds(lambda c: {"any": c}, st.lists(inner, max_size=3))
        | st.builds(lambda c: {"not": c}, inner)
    ),
    max_leaves=5,
)


def _steps(inner: st.SearchStrategy | None) -> st.SearchStrategy:
    lists = st.just([]) if inner is None else st.lists(inner, max_size=3)
    return (
        st.builds(
            lambda i, m, w: {"id": i, "type": "message", "messages": m, **w},
            step_ids,
            st.lists(messages, min_size=1, max_size=6),
            st.just({})
            | st.builds(lambda s, e: {"window": {"start": s, "end": e}}, clocks, clocks),
        )
        | st.builds(lambda i, d: {"id": i, "type": "wait", "duration": d}, step_ids, durations)
        | st.builds(lambda i, m: {"id": i, "type": "wait", "until": m}, step_ids, moments)
        | st.builds(
            lambda i, b, o: {"id": i, "type": "branch", "branches": b, "otherwise": o},
            step_ids,
            st.lists(
                st.builds(
                    lambda lb, w, s: {"label": lb, "when": w, "steps": s},
                    st.text(max_size=8),
                    conditions,
                    lists,
                ),
                min_size=1,
                max_size=3,
            ),
            lists,
        )
        | st.builds(
            lambda i, u, t, a, b: {
                "id": i,
                "type": "wait_for",
                "until": u,
                "timeout": t,
                "then": a,
                "on_timeout": b,
            },
            step_ids,
            conditions,
            durations,
            lists,
            lists,
        )
        | st.builds(
            lambda i, arms: {"id": i, "type": "split", "arms": arms},
            step_ids,
            st.lists(
                st.builds(
                    lambda lb, w, s: {"label": lb, "weight": w, "steps": s},
                    st.sampled_from(["A", "B", "C"]),
                    st.integers(-1, 10_001),
                    lists,
                ),
                min_size=1,
                max_size=3,
            ),
        )
        | st.builds(
            lambda i, add, rm: {"id": i, "type": "tag", "add": add, "remove": rm},
            step_ids,
            st.lists(st.text(max_size=8), max_size=2),
            st.lists(st.text(max_size=8), max_size=2),
        )
        | st.builds(
            lambda i, s: {"id": i, "type": "attribute", "set": s},
            step_ids,
            st.dictionaries(st.text(max_size=8), scalars | st.none(), max_size=3),
        )
        | st.builds(
            lambda i, s: {"id": i, "type": "switch", "scenario": s}, step_ids, one_of(SCENARIOS)
        )
    )


steps = st.recursive(_steps(None), _steps, max_leaves=8)
triggers = (
    st.fixed_dictionaries(
        {"type": st.just("follow")},
        optional={
            "routes": st.lists(st.text(max_size=8), max_size=2),
            "added_from": moments,
            "added_until": moments,
        },
    )
    | st.builds(
        lambda e, p: {"type": "event", "event": e, "properties": p},
        st.sampled_from(["cart_add", ""]),
        st.dictionaries(st.text(max_size=5), scalars, max_size=2),
    )
    | st.builds(lambda a: {"type": "audience", "audience": a}, one_of(AUDIENCES))
)
near_valid = st.fixed_dictionaries(
    {
        "name": st.text(min_size=1, max_size=30) | AWKWARD_STRINGS,
        "trigger": triggers,
        "steps": st.lists(steps, min_size=1, max_size=4),
    },
    optional={
        "timezone": zones,
        "delivery_cap": st.integers(-1, 2**31) | AWKWARD_NUMBERS,
        "reentry": st.booleans(),
        "on_unblock": st.sampled_from(["restart", "resume", "ignore", "again"]),
        "resume_grace": durations,
        "exit": st.lists(conditions, max_size=2),
    },
)
definitions = near_valid | mutated(near_valid) | json_values


@pytest.fixture(scope="module")
async def known(fuzzed) -> str:
    """An audience and a scenario that definitions may name; the scenario is also the target
    of the PUTs."""
    audience = await fuzzed.api.post(
        "/audiences", json={"name": "vip", "kind": "tag", "tag": "vip"}
    )
    assert audience.status_code == 201, audience.text
    AUDIENCES.append(audience.json()["id"])
    created = await fuzzed.api.post(
        "/scenarios",
        json={
            "name": "target",
            "trigger": {"type": "follow"},
            "steps": [{"id": "w", "type": "wait", "duration": "P1D"}],
        },
    )
    assert created.status_code == 201, created.text
    SCENARIOS.append(created.json()["id"])
    return created.json()["id"]


async def _stored(stack, scenario_id: str) -> tuple[int, dict]:
    answer = await stack.api.get(f"/scenarios/{scenario_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()["version"], answer.json()["definition"]


async def _rows(stack) -> tuple[int, int]:
    return await count(stack, Scenario), await count(stack, ScenarioVersion)


@settings(max_examples=120)
@given(document=definitions, method=st.sampled_from(["POST", "PUT"]))
async def test_any_definition_is_accepted_or_refused_cleanly(fuzzed, known, document, method):
    url = "/scenarios" if method == "POST" else f"/scenarios/{known}"
    before, target = await _rows(fuzzed), await _stored(fuzzed, known)
    answer = await fuzzed.api.request(
        method, url, content=encode(document), headers={"Content-Type": "application/json"}
    )
    scenarios, versions = await _rows(fuzzed)
    if answer.status_code in (200, 201):
        if method == "POST":
            assert (scenarios, versions) == (before[0] + 1, before[1] + 1)
        else:  # the current version's definition again makes none
            added = 0 if answer.json()["unchanged"] else 1
            assert (scenarios, versions) == (before[0], before[1] + added)
        # what was stored can be read back, and is the definition that was accepted
        stored = await _stored(fuzzed, answer.json()["id"])
        assert stored == (
            answer.json()["version"],
            ScenarioDefinition.model_validate(stored[1]).dump(),
        )
    else:
        assert_refusal(answer)
        assert (scenarios, versions) == before
        assert await _stored(fuzzed, known) == target


@settings(max_examples=200)
@given(document=definitions)
def test_validate_definition_accepts_or_lists_problems(document):
    try:  # read as Python reads any JSON or YAML, 1e400 (.inf) as infinity
        definition = validate_definition(json.loads(encode(document)))
    except DefinitionError as error:
        assert error.errors
        for problem in error.errors:
            assert set(problem) == {"path", "msg", "type"} and problem["path"], problem
        return
    # what is stored (and carried by every enrollment) reads back as the same definition
    assert ScenarioDefinition.model_validate(definition.dump()) == definition
