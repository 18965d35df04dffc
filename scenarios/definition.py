"""A scenario definition (SPEC §3.1) as plain pydantic data: stored per version, and carried by
every enrollment workflow so that an edit never changes a journey under a friend's feet."""

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AwareDatetime,
    BaseModel,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from scenarios.conditions import MODEL_CONFIG, Condition

_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_STEP_ID = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"
_TIMEDELTA = TypeAdapter(timedelta)
MAX_WAIT = timedelta(days=365)


def parse_duration(text: str) -> timedelta:
    """ISO-8601 duration in weeks, days, hours, minutes, seconds (months and years are calendar
    dependent, so a scenario says P30D rather than P1M)."""
    date_part = text.split("T", 1)[0]
    if not text.startswith("P") or "Y" in date_part or "M" in date_part:
        raise ValueError("must be an ISO-8601 duration such as PT30S, PT2H, P1D or P1DT12H")
    try:
        return _TIMEDELTA.validate_python(text)
    except ValueError:
        raise ValueError(
            "must be an ISO-8601 duration such as PT30S, PT2H, P1D or P1DT12H"
        ) from None


class Window(BaseModel):
    """Delivery time window (配信時間帯) in the scenario's timezone; may span midnight."""

    model_config = MODEL_CONFIG
    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise ValueError('must be a 24-hour time "HH:MM", e.g. "10:00"')
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> "Window":
        if self.start == self.end:
            raise ValueError("start and end must differ (an empty window would hold forever)")
        return self


class MessageStep(BaseModel):
    model_config = MODEL_CONFIG
    id: str = Field(pattern=_STEP_ID)
    type: Literal["message"]
    messages: list[dict[str, Any]] = Field(min_length=1, max_length=5)
    window: Window | None = None
    track_links: bool = True


class WaitStep(BaseModel):
    model_config = MODEL_CONFIG
    id: str = Field(pattern=_STEP_ID)
    type: Literal["wait"]
    duration: str

    @field_validator("duration")
    @classmethod
    def _bounded(cls, value: str) -> str:
        delta = parse_duration(value)
        if not timedelta(seconds=1) <= delta <= MAX_WAIT:
            raise ValueError("must be between 1 second (PT1S) and 365 days (P365D)")
        return value

    @property
    def delta(self) -> timedelta:
        return parse_duration(self.duration)


class Branch(BaseModel):
    model_config = MODEL_CONFIG
    label: str = Field(min_length=1, max_length=100)
    when: Condition
    steps: list["Step"] = Field(default_factory=list)


class BranchStep(BaseModel):
    model_config = MODEL_CONFIG
    id: str = Field(pattern=_STEP_ID)
    type: Literal["branch"]
    branches: list[Branch] = Field(min_length=1, max_length=20)
    otherwise: list["Step"] | None = None


Step = Annotated[Union[MessageStep, WaitStep, BranchStep], Field(discriminator="type")]  # noqa: UP007
Branch.model_rebuild()
BranchStep.model_rebuild()


class FollowTrigger(BaseModel):
    """Enrol a friend when they add the account (LINE's 友だち追加 start condition)."""

    model_config = MODEL_CONFIG
    type: Literal["follow"]
    routes: list[str] | None = Field(None, min_length=1)
    added_from: AwareDatetime | None = None
    added_until: AwareDatetime | None = None

    @model_validator(mode="after")
    def _ordered(self) -> "FollowTrigger":
        if self.added_from and self.added_until and self.added_from >= self.added_until:
            raise ValueError("added_from must be before added_until")
        return self

    def admits(self, *, route: str, added_at: datetime) -> bool:
        if self.routes is not None and route not in self.routes:
            return False
        if self.added_from and added_at < self.added_from:
            return False
        return not (self.added_until and added_at >= self.added_until)


Trigger = Annotated[Union[FollowTrigger], Field(discriminator="type")]  # noqa: UP007


class ScenarioDefinition(BaseModel):
    model_config = MODEL_CONFIG
    name: str = Field(min_length=1, max_length=200)
    timezone: str = "Asia/Tokyo"
    trigger: Trigger
    delivery_cap: int | None = Field(None, ge=1, le=2_147_483_647)  # an INTEGER column
    steps: list[Step] = Field(min_length=1)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA timezone {value!r} (e.g. Asia/Tokyo)") from None
        return value

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
        if duplicates:
            raise ValidationError.from_exception_data(type(self).__name__, duplicates)
        return self

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def _location(path: str) -> tuple[str | int, ...]:
    """`steps[3].otherwise[0]` → ("steps", 3, "otherwise", 0)."""
    return tuple(int(part) if part.isdigit() else part for part in re.findall(r"\w+", path))


def walk_steps(steps: list[Step], path: str = "steps") -> Iterator[tuple[str, Step]]:
    """Every step with its path, depth first, in the order a friend could meet them."""
    for index, step in enumerate(steps):
        here = f"{path}[{index}]"
        yield here, step
        if isinstance(step, BranchStep):
            for b, branch in enumerate(step.branches):
                yield from walk_steps(branch.steps, f"{here}.branches[{b}].steps")
            yield from walk_steps(step.otherwise or [], f"{here}.otherwise")
