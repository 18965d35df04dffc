"""A scenario definition (docs/CONTRACT.md §3.1) as plain pydantic data: stored per version, and carried by
every enrollment workflow so that an edit never changes a journey under a friend's feet. Its
steps are domain/steps' kinds, its trigger scenarios/trigger.py's."""

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from domain.base import MODEL_CONFIG, Scalar
from domain.conditions import Condition
from domain.durations import parse_duration
from domain.steps import Step, SwitchStep, walk_steps
from domain.steps.parts import WaitPeriod
from domain.zones import known_zone
from scenarios.limits import size_problem
from scenarios.trigger import Trigger


class Goal(BaseModel):
    """What counts as a conversion in the stats (docs/CONTRACT.md §7): a friend's event of that name (with
    these properties) within `within` after the moment measured from (the enrollment's start,
    a step's send or entry, a branch decision). Only read by the stats: no step waits on it."""

    model_config = MODEL_CONFIG
    event: str = Field(min_length=1, max_length=100)
    within: WaitPeriod = "P7D"  # PT1S … P365D
    properties: dict[str, Scalar] | None = None  # each must match, as in an event condition

    @property
    def window(self) -> timedelta:
        return parse_duration(self.within)


class ScenarioDefinition(BaseModel):
    model_config = MODEL_CONFIG
    name: str = Field(min_length=1, max_length=200)
    # IANA names are short (the longest has 32 characters); a long one would make zoneinfo
    # recurse through as many folders
    timezone: str = Field("Asia/Tokyo", max_length=64)
    trigger: Trigger
    delivery_cap: int | None = Field(None, ge=1, le=2_147_483_647)  # an INTEGER column
    reentry: bool = False  # event/keyword/audience triggers: may a friend go through it again?
    # a friend who blocks and adds the account again: start over (LINE's behaviour); resume
    # where the schedule has got to, sending what fell due within `resume_grace`; or nothing
    on_unblock: Literal["restart", "resume", "ignore"] = "restart"
    resume_grace: WaitPeriod = "P1D"
    exit: list[Condition] | None = Field(None, min_length=1, max_length=20)
    # a first message due at once after the follow, message or postback that started the
    # enrollment goes as LINE's reply to that event: free, not counted in the plan
    reply_first: bool = True
    goal: Goal | None = None  # the conversion the stats count (optional)
    steps: list[Step] = Field(min_length=1)

    @property
    def grace(self) -> timedelta:
        return parse_duration(self.resume_grace)

    @field_validator("steps", mode="before")
    @classmethod
    def _bounded(cls, value: Any) -> Any:
        """Counted before a single step is read: an oversized scenario costs nothing to
        refuse (scenarios/limits.py)."""
        problem = size_problem(value)
        if problem:
            raise PydanticCustomError("too_big", problem)
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)

    @model_validator(mode="after")
    def _unique_ids(self) -> "ScenarioDefinition":
        # Reported at the repeated `id` itself (e.g. steps[3].otherwise[0].id): a ValidationError
        # raised here keeps its own locations.
        seen: dict[str, str] = {}
        duplicates: list[InitErrorDetails] = []
        for path, step in walk_steps(self.steps):
            if step.id in seen:
                duplicates.append(
                    InitErrorDetails(
                        type=PydanticCustomError(
                            "duplicate_step_id",
                            "step id '{id}' is already used at {first}",
                            {"id": step.id, "first": seen[step.id]},
                        ),
                        loc=(*_location(path), "id"),
                        input=step.id,
                    )
                )
            else:
                seen[step.id] = path
        duplicates.extend(_unreachable_after_switch(self.steps))
        if duplicates:
            raise ValidationError.from_exception_data(type(self).__name__, duplicates)
        return self

    def step(self, step_id: str) -> "Step | None":
        return next((step for _, step in walk_steps(self.steps) if step.id == step_id), None)

    def after(self, step_id: str) -> list[list["Step"]] | None:
        """What a friend who has just finished `step_id` walks next in this definition: the
        rest of that step's list, then the rest of each list around it (None: no such step)."""
        return _rest_after(self.steps, step_id)

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def _location(path: str) -> tuple[str | int, ...]:
    """`steps[3].otherwise[0]` → ("steps", 3, "otherwise", 0)."""
    return tuple(int(part) if part.isdigit() else part for part in re.findall(r"\w+", path))


def _unreachable_after_switch(steps: list[Step], path: str = "steps") -> list[InitErrorDetails]:
    return [
        InitErrorDetails(
            type=PydanticCustomError(
                "unreachable_step", "a switch must be the last step of its list"
            ),
            loc=(*_location(here), "type"),
            input="switch",
        )
        for parent, children in _lists(steps, path)
        for index, step in enumerate(children[:-1])
        if isinstance(step, SwitchStep)
        for here in [f"{parent}[{index}]"]
    ]


def _lists(steps: list[Step], path: str) -> Iterator[tuple[str, list[Step]]]:
    """Every list of steps in the definition with its path."""
    yield path, steps
    for here, step in walk_steps(steps, path):
        for name, children in step.children():
            yield f"{here}.{name}", children


def _rest_after(steps: list[Step], step_id: str) -> list[list[Step]] | None:
    for index, step in enumerate(steps):
        rest = steps[index + 1 :]
        if step.id == step_id:
            return [rest]
        for _, children in step.children():
            inner = _rest_after(children, step_id)
            if inner is not None:
                return [*inner, rest]
    return None
