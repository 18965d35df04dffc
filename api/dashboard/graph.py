"""The scenario page's pictures, from a definition and its stats (`GET /scenarios/{id}/stats`
as a dict): the step graph as nested boxes (a branch's, split's or wait_for's ways side by
side), the funnel of the message steps, and the arms with their conversions and test."""

import json
from dataclasses import dataclass, field
from typing import Any

from core.dates import date_words
from domain.steps import (
    AttributeStep,
    BranchStep,
    DateUntil,
    MessageStep,
    SplitStep,
    Step,
    SurveyStep,
    SwitchStep,
    TagStep,
    WaitForStep,
    WaitStep,
    walk_steps,
)
from scenarios.definition import ScenarioDefinition

PREVIEW = 60  # characters of a message or a condition shown in its box


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


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1] + "…"


def _condition(condition: Any) -> str:
    dumped = condition.model_dump(mode="json", exclude_none=True)
    return _short(json.dumps(dumped, ensure_ascii=False, separators=(", ", ": ")))


def summary(step: Step) -> str:
    """One line saying what the step does."""
    if isinstance(step, MessageStep):
        first = step.messages[0]
        text = first.get("text") or first.get("altText") or f"({first.get('type', 'message')})"
        more = f" (+{len(step.messages) - 1})" if len(step.messages) > 1 else ""
        window = f" · {step.window.start}–{step.window.end}" if step.window else ""
        return _short(str(text)) + more + window
    if isinstance(step, WaitStep):
        if step.duration:
            return f"wait {step.duration}"
        if isinstance(step.until, DateUntil):
            return f"until {date_words(step.until.attribute, step.until.offset, step.until.at)}"
        return f"until {step.until.isoformat()}"
    if isinstance(step, WaitForStep):
        return f"until {_condition(step.until)}, at most {step.timeout}"
    if isinstance(step, SurveyStep):
        answers = f"{len(step.options)} options" if step.options else "free text"
        return f"{_short(step.question)} ({answers} → {step.attribute}), at most {step.timeout}"
    if isinstance(step, BranchStep):
        return f"{len(step.branches)} branch(es) and otherwise"
    if isinstance(step, SplitStep):
        return " / ".join(f"{arm.label} {arm.weight}" for arm in step.arms)
    if isinstance(step, TagStep):
        return " ".join([*(f"+{tag}" for tag in step.add), *(f"−{tag}" for tag in step.remove)])
    if isinstance(step, AttributeStep):
        return _short(", ".join(f"{name}={value}" for name, value in step.set.items()))
    if isinstance(step, SwitchStep):
        return f"→ scenario {step.scenario}"
    return ""


def _ways(step: Step) -> list[tuple[str, str, list[Step]]]:
    if isinstance(step, BranchStep):
        found = [(b.label, _condition(b.when), b.steps) for b in step.branches]
        return [*found, ("otherwise", "none of the above", step.otherwise or [])]
    if isinstance(step, SplitStep):
        total = sum(arm.weight for arm in step.arms) or 1
        return [
            (a.label, f"weight {a.weight} ({a.weight / total:.0%})", a.steps) for a in step.arms
        ]
    if isinstance(step, WaitForStep):
        return [
            ("then", "the condition held", step.then),
            ("on_timeout", "timed out", step.on_timeout),
        ]
    if isinstance(step, SurveyStep):
        return [("then", "answered", step.then), ("on_timeout", "no answer", step.on_timeout)]
    return []


def step_graph(definition: ScenarioDefinition, numbers: dict[str, Any]) -> list[Node]:
    steps = {row["id"]: row for row in numbers.get("steps") or []}
    ways = {(row["step"], row["label"]): row for row in numbers.get("branches") or []}

    def nodes(children: list[Step]) -> list[Node]:
        return [
            Node(
                id=step.id,
                type=step.type,
                summary=summary(step),
                numbers=steps.get(step.id, {}),
                ways=[
                    Way(label, note, ways.get((step.id, label), {}), nodes(inner))
                    for label, note, inner in _ways(step)
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
