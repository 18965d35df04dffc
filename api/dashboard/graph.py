"""The scenario page's pictures, from a definition and its stats (`GET /scenarios/{id}/stats`
as a dict): the step graph as nested boxes (a branch's, split's or wait_for's ways side by
side), the funnel of the message steps, and the arms with their conversions and test."""

from dataclasses import dataclass, field
from typing import Any

from domain.steps import MessageStep, Step, walk_steps
from scenarios.definition import ScenarioDefinition


@dataclass
class Way:
    label: str
    note: str  # a split arm's weight, a branch's condition, a wait_for's way
    numbers: dict[str, Any]  # BranchStats: taken, conversions, conversion_rate
    nodes: list["Node"]


@dataclass
class Node:
    id: str
    type: str
    summary: str
    numbers: dict[str, Any]  # StepStats: entered, sent, clicks, unique_clicks, conversions…
    ways: list[Way] = field(default_factory=list)


@dataclass
class FunnelBar:
    measure: str  # entered, sent, clicked, converted
    value: int
    width: float  # percent of the widest bar of the funnel


@dataclass
class FunnelStep:
    id: str
    bars: list[FunnelBar]


def step_graph(definition: ScenarioDefinition, numbers: dict[str, Any]) -> list[Node]:
    steps = {row["id"]: row for row in numbers.get("steps") or []}
    ways = {(row["step"], row["label"]): row for row in numbers.get("branches") or []}

    def nodes(children: list[Step]) -> list[Node]:
        return [
            Node(
                id=step.id,
                type=step.type,
                summary=step.words(),
                numbers=steps.get(step.id, {}),
                ways=[
                    Way(label, note, ways.get((step.id, label), {}), nodes(inner))
                    for label, note, inner in step.ways()
                ],
            )
            for step in children
        ]

    return nodes(definition.steps)


def older_steps(definition: ScenarioDefinition, numbers: dict[str, Any]) -> list[dict[str, Any]]:
    """Stats of steps that only older versions have."""
    current = {step.id for _, step in walk_steps(definition.steps)}
    return [row for row in numbers.get("steps") or [] if row["id"] not in current]


def funnel(definition: ScenarioDefinition, numbers: dict[str, Any]) -> list[FunnelStep]:
    """Per message step: entered → sent → clicked (friends who clicked) → converted."""
    steps = {row["id"]: row for row in numbers.get("steps") or []}
    rows = []
    for _, step in walk_steps(definition.steps):
        if not isinstance(step, MessageStep):
            continue
        row = steps.get(step.id, {})
        measures = [
            ("entered", row.get("entered")),
            ("sent", row.get("sent")),
            ("clicked", row.get("unique_clicks", row.get("clicks"))),
            ("converted", row.get("conversions")),
        ]
        rows.append((step.id, [(m, v) for m, v in measures if v is not None]))
    widest = max([numbers.get("enrolled") or 0, *(v for _, ms in rows for _, v in ms)], default=0)
    scale = 100 / widest if widest else 0
    return [
        FunnelStep(step_id, [FunnelBar(m, v, round(v * scale, 1)) for m, v in measures])
        for step_id, measures in rows
    ]


def arm_tables(numbers: dict[str, Any]) -> list[dict[str, Any]]:
    """Each branch, split and wait_for step with its ways, and its test when there is one."""
    tests = {test.get("step"): test for test in numbers.get("tests") or []}
    tables: dict[str, dict[str, Any]] = {}
    for row in numbers.get("branches") or []:
        table = tables.setdefault(
            row["step"],
            {"step": row["step"], "type": row.get("type"), "ways": [], "test": None},
        )
        table["ways"].append(row)
        table["test"] = tests.get(row["step"])
    return list(tables.values())
