"""Work a request can cause is bounded: a scenario has at most MAX_STEPS steps and step lists
nested at most MAX_NESTING deep, refused (422 naming `steps`) before anything else reads it —
through the API and the CLI's own check alike."""

import pytest

from scenarios.limits import MAX_NESTING, MAX_STEPS
from scenarios.validate import DefinitionError, validate_definition
from store.tables import Scenario
from tests.api.helpers import count


def wait(n: int) -> dict:
    return {"id": f"w{n}", "type": "wait", "duration": "PT1H"}


def definition(steps: list[dict]) -> dict:
    return {"name": "big", "trigger": {"type": "follow"}, "steps": steps}


def nested(depth: int) -> list[dict]:
    """Step lists `depth` deep: a branch whose `otherwise` holds the next level."""
    steps = [wait(0)]
    for level in range(1, depth):
        branch = {"label": "tagged", "when": {"tag": "vip"}, "steps": [wait(-level)]}
        steps = [{"id": f"b{level}", "type": "branch", "branches": [branch], "otherwise": steps}]
    return steps


@pytest.mark.parametrize(
    ("steps", "said"),
    [
        ([wait(n) for n in range(MAX_STEPS + 1)], f"at most {MAX_STEPS} steps"),
        ([wait(n) for n in range(50_000)], f"at most {MAX_STEPS} steps"),
        (nested(MAX_NESTING + 1), f"nested more than {MAX_NESTING} step lists deep"),
    ],
    ids=["one too many", "fifty thousand", "too deep"],
)
async def test_an_oversized_scenario_is_refused_and_nothing_is_stored(shared, steps, said):
    before = await count(shared, Scenario)
    answer = await shared.api.post("/scenarios", json=definition(steps))
    assert answer.status_code == 422, answer.text[:300]
    (problem,) = answer.json()["detail"]
    assert problem["path"] == "steps" and said in problem["msg"]
    assert await count(shared, Scenario) == before
    with pytest.raises(DefinitionError, match=said):  # the CLI's check says the same
        validate_definition(definition(steps))


async def test_a_scenario_at_the_limits_is_taken(shared):
    deep = nested(MAX_NESTING)  # 2 × MAX_NESTING - 1 steps
    steps = deep + [wait(n) for n in range(1, MAX_STEPS - 2 * MAX_NESTING + 2)]
    answer = await shared.api.post("/scenarios", json=definition(steps))
    assert answer.status_code == 201, answer.text[:500]
