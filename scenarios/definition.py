"""A scenario definition (docs/CONTRACT.md §3.1) as plain pydantic data: stored per version, and carried by
every enrollment workflow so that an edit never changes a journey under a friend's feet."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    Discriminator,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    Tag,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from core.moments import Moment
from scenarios.conditions import (
    MAX_KEYWORDS,
    MODEL_CONFIG,
    Condition,
    Keyword,
    KeywordMatch,
    Scalar,
    keyword_matches,
    parse_duration,  # noqa: F401  (re-exported: definitions speak of durations)
    period_of,
)
from scenarios.limits import size_problem

_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_STEP_ID = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"
MAX_WAIT = timedelta(days=365)
_NAME = Annotated[str, StringConstraints(min_length=1, max_length=100)]


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
    # what `{displayName}` / `{attribute:NAME}` become when the friend has no value (keys
    # are checked with the placeholders themselves, by scenarios.validate)
    defaults: dict[str, Annotated[str, StringConstraints(max_length=1000)]] = Field(
        default_factory=dict, max_length=100
    )


def _wait_period(value: str) -> str:
    period_of(value, MAX_WAIT)
    return value


WaitPeriod = Annotated[str, AfterValidator(_wait_period)]  # PT1S … P365D


_MOMENT = "must be an ISO-8601 date and time with its UTC offset, e.g. 2026-12-24T10:00:00+09:00"


def _moment(value: Any, handler: ValidatorFunctionWrapHandler) -> datetime:
    """An aware datetime, written as ISO-8601 text (a bare number would be read as Unix
    seconds, a time without an offset would mean a different moment in every timezone)."""
    if isinstance(value, bool | int | float):
        raise PydanticCustomError("wait_until", _MOMENT)
    try:
        moment = handler(value)
    except ValidationError as exc:
        if any(error["type"] == "timezone_aware" for error in exc.errors()):
            raise PydanticCustomError(
                "wait_until_naive",
                "has no UTC offset, so it is a different moment in every timezone: "
                "write one, e.g. 2026-12-24T10:00:00+09:00 (or Z for UTC)",
            ) from None
        raise PydanticCustomError("wait_until", _MOMENT) from None
    try:
        moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+09:00 is before the first UTC moment
        raise PydanticCustomError("wait_until", "is out of range") from None
    return moment


WaitMoment = Annotated[AwareDatetime, WrapValidator(_moment)]


def _date_offset(value: str) -> str:
    from core.dates import parse_offset  # pure date math, shared with the workflows

    parse_offset(value)
    return value


DateOffset = Annotated[str, AfterValidator(_date_offset)]  # -P365D … P365D, whole days


def _clock_text(value: str) -> str:
    if not _CLOCK.match(value):
        raise ValueError('must be a 24-hour time "HH:MM", e.g. "10:00"')
    return value


Clock = Annotated[str, AfterValidator(_clock_text)]


class DateUntil(BaseModel):
    """A wait's end read from the friend's date attribute: (date + `offset`) at `at` in the
    scenario's timezone (core/dates.py). A friend without a usable date, or whose moment has
    passed, goes on at once; a change of the attribute mid-wait moves the wake."""

    model_config = MODEL_CONFIG
    attribute: _NAME
    offset: DateOffset = "P0D"
    at: Clock = "10:00"


def _until_form(value: Any) -> str:
    return "date" if isinstance(value, dict | DateUntil) else "moment"


WaitUntil = Annotated[
    Union[Annotated[WaitMoment, Tag("moment")], Annotated[DateUntil, Tag("date")]],  # noqa: UP007
    Discriminator(_until_form),
]


class WaitStep(BaseModel):
    """Wait for a `duration` (P1D: from the moment the step is reached) or `until` a moment
    (2026-12-24T10:00:00+09:00: the same for every friend; one already past does not wait)."""

    model_config = MODEL_CONFIG
    id: str = Field(pattern=_STEP_ID)
    type: Literal["wait"]
    duration: WaitPeriod | None = None
    until: WaitUntil | None = None  # a moment, or a date attribute's (see DateUntil)

    @model_validator(mode="after")
    def _one_form(self) -> "WaitStep":
        if self.duration is None and self.until is None:
            raise ValueError(
                "a wait needs `duration` (e.g. P1D) or `until` (e.g. 2026-12-24T10:00:00+09:00)"
            )
        if self.duration is not None and self.until is not None:
            raise ValueError("a wait takes `duration` or `until`, not both")
        return self

    @model_serializer(mode="wrap")
    def _without_the_other_form(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # a duration wait serializes as it always has (no `until: null`): what a worker of an
        # earlier version reads in an enrollment's input, and the stored definitions, stay as
        # they were
        data = handler(self)
        for name in ("duration", "until"):
            if name in data and data[name] is None:
                del data[name]
        return data

    @property
    def delta(self) -> timedelta | None:
        """The duration; None for an `until` wait, whose length depends on when it starts."""
        return None if self.duration is None else parse_duration(self.duration)

    def wake(self, now: datetime) -> datetime:
        """When a friend who reaches this step at `now` goes on (UTC); `now` itself for an
        `until` already past."""
        if self.until is None:
            assert self.duration is not None
            return now + parse_duration(self.duration)
        if isinstance(self.until, DateUntil):  # the friend's date: read by the workflow
            return now
        return max(now, self.until.astimezone(UTC))


class WaitForStep(BaseModel):
    """Wait until a condition holds (an event, a click, a tag…) or the timeout passes."""

    model_config = MODEL_CONFIG
    id: str = Field(pattern=_STEP_ID)
    type: Literal["wait_for"]
    until: Condition
    timeout: WaitPeriod
    then: list["Step"] = Field(default_factory=list)
    on_timeout: list["Step"] = Field(default_factory=list)

    @property
    def delta(self) -> timedelta:
        return parse_duration(self.timeout)


class SurveyOption(BaseModel):
    """One answer a friend can tap: `label` on the quick-reply button (LINE allows 20
    characters), `value` what the friend's attribute is set to."""

    model_config = MODEL_CONFIG
    label: str = Field(min_length=1, max_length=20)
    value: Scalar


class SurveyStep(BaseModel):
    """Ask a question (アンケート) and wait for the answer up to `timeout`: with `options`, as
    quick-reply buttons (LINE allows 13); without, the friend's next text message is the
    answer. The answer is stored in the friend's `attribute`; then `then`, or `on_timeout`."""

    model_config = MODEL_CONFIG
    id: str = Field(pattern=_STEP_ID)
    type: Literal["survey"]
    question: str = Field(min_length=1, max_length=5000)  # one LINE text message
    options: list[SurveyOption] | None = Field(None, min_length=1, max_length=13)
    attribute: _NAME
    timeout: WaitPeriod
    window: Window | None = None
    then: list["Step"] = Field(default_factory=list)
    on_timeout: list["Step"] = Field(default_factory=list)

    @field_validator("options")
    @classmethod
    def _distinct(cls, options: list[SurveyOption] | None) -> list[SurveyOption] | None:
        labels = [option.label for option in options or []]
        if len(set(labels)) != len(labels):
            raise ValueError("option labels must be unique")
        return options

    @property
    def delta(self) -> timedelta:
        return parse_duration(self.timeout)


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


class Arm(BaseModel):
    model_config = MODEL_CONFIG
    label: str = Field(min_length=1, max_length=100)
    weight: int = Field(ge=0, le=10_000)
    steps: list["Step"] = Field(default_factory=list)  # [] is a holdout: nothing is sent


class SplitStep(BaseModel):
    """Random A/B/n split by weights, the same arm for the same friend every time."""

    model_config = MODEL_CONFIG
    id: str = Field(pattern=_STEP_ID)
    type: Literal["split"]
    arms: list[Arm] = Field(min_length=2, max_length=20)

    @model_validator(mode="after")
    def _arms(self) -> "SplitStep":
        labels = [arm.label for arm in self.arms]
        if len(set(labels)) != len(labels):
            raise ValueError("arm labels must be unique")
        if sum(arm.weight for arm in self.arms) == 0:
            raise ValueError("at least one arm needs a weight above 0")
        return self


class TagStep(BaseModel):
    model_config = MODEL_CONFIG
    id: str = Field(pattern=_STEP_ID)
    type: Literal["tag"]
    add: list[_NAME] = Field(default_factory=list, max_length=100)
    remove: list[_NAME] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _something(self) -> "TagStep":
        if not self.add and not self.remove:
            raise ValueError("needs tags to `add` or `remove`")
        if both := sorted(set(self.add) & set(self.remove)):
            raise ValueError(f"tags both added and removed: {', '.join(both)}")
        return self


class AttributeStep(BaseModel):
    model_config = MODEL_CONFIG
    id: str = Field(pattern=_STEP_ID)
    type: Literal["attribute"]
    set: dict[_NAME, Scalar | None] = Field(min_length=1, max_length=100)  # null removes


class SwitchStep(BaseModel):
    """End this enrollment and enrol the friend into another scenario."""

    model_config = MODEL_CONFIG
    id: str = Field(pattern=_STEP_ID)
    type: Literal["switch"]
    scenario: str = Field(min_length=1, max_length=32)


class RichMenuStep(BaseModel):
    """Link a rich menu to the friend (LINE's per-user rich menu), or unlink theirs so that
    the default one shows again: `link: RICH_MENU_ID` or `unlink: true`, exactly one."""

    model_config = MODEL_CONFIG
    id: str = Field(pattern=_STEP_ID)
    type: Literal["rich_menu"]
    link: str | None = Field(None, pattern=r"^richmenu-[0-9A-Za-z_\-]{1,64}$")
    unlink: Literal[True] | None = None

    @model_validator(mode="after")
    def _one_way(self) -> "RichMenuStep":
        if (self.link is None) == (self.unlink is None):
            raise ValueError(
                "a rich_menu step takes `link: RICH_MENU_ID` or `unlink: true`, exactly one"
            )
        return self


Step = Annotated[
    Union[  # noqa: UP007
        MessageStep,
        WaitStep,
        BranchStep,
        WaitForStep,
        SplitStep,
        TagStep,
        AttributeStep,
        SwitchStep,
        RichMenuStep,
        SurveyStep,
    ],
    Field(discriminator="type"),
]
for _model in (Branch, BranchStep, WaitForStep, Arm, SplitStep, SurveyStep):
    _model.model_rebuild()


class FollowTrigger(BaseModel):
    """Enrol a friend when they add the account (LINE's 友だち追加 start condition)."""

    model_config = MODEL_CONFIG
    type: Literal["follow"]
    routes: list[str] | None = Field(None, min_length=1)
    added_from: Moment | None = None
    added_until: Moment | None = None

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


class EventTrigger(BaseModel):
    """Enrol a friend when an event of that name (with these properties) is recorded."""

    model_config = MODEL_CONFIG
    type: Literal["event"]
    event: str = Field(min_length=1, max_length=100)
    properties: dict[str, Scalar] | None = None


class KeywordTrigger(BaseModel):
    """Enrol a friend who sends a text message with one of the keywords (LINE's キーワード応答):
    that contains it (`match: contains`, the default) or is it and nothing more (`exact`),
    compared normalised (full-width/half-width, case and spaces do not matter)."""

    model_config = MODEL_CONFIG
    type: Literal["keyword"]
    keywords: list[Keyword] = Field(min_length=1, max_length=MAX_KEYWORDS)
    match: KeywordMatch = "contains"

    def matches(self, text: str) -> bool:
        return any(keyword_matches(keyword, text, self.match) for keyword in self.keywords)


class AudienceTrigger(BaseModel):
    """Enrol a friend when they enter the audience (after the scenario is activated)."""

    model_config = MODEL_CONFIG
    type: Literal["audience"]
    audience: str = Field(min_length=1)


class DateTrigger(BaseModel):
    """Enrol each friend when (their date attribute + `offset`) comes, at `at` in the
    scenario's timezone; `yearly`: every year on its month and day (a birthday). A friend
    without a usable date is not enrolled; a corrected date moves what was scheduled."""

    model_config = MODEL_CONFIG
    type: Literal["date"]
    attribute: _NAME
    offset: DateOffset = "P0D"
    at: Clock = "10:00"
    yearly: bool = False


Trigger = Annotated[
    Union[FollowTrigger, EventTrigger, KeywordTrigger, AudienceTrigger, DateTrigger],  # noqa: UP007
    Field(discriminator="type"),
]


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
        for name, children in sub_lists(step):
            yield f"{here}.{name}", children


def sub_lists(step: Step) -> list[tuple[str, list[Step]]]:
    """The step lists inside a step, with their path relative to it."""
    if isinstance(step, BranchStep):
        return [
            (f"branches[{b}].steps", branch.steps) for b, branch in enumerate(step.branches)
        ] + [("otherwise", step.otherwise or [])]
    if isinstance(step, WaitForStep | SurveyStep):
        return [("then", step.then), ("on_timeout", step.on_timeout)]
    if isinstance(step, SplitStep):
        return [(f"arms[{a}].steps", arm.steps) for a, arm in enumerate(step.arms)]
    return []


def _rest_after(steps: list[Step], step_id: str) -> list[list[Step]] | None:
    for index, step in enumerate(steps):
        rest = steps[index + 1 :]
        if step.id == step_id:
            return [rest]
        for _, children in sub_lists(step):
            inner = _rest_after(children, step_id)
            if inner is not None:
                return [*inner, rest]
    return None


def walk_steps(steps: list[Step], path: str = "steps") -> Iterator[tuple[str, Step]]:
    """Every step with its path, depth first, in the order a friend could meet them."""
    for index, step in enumerate(steps):
        here = f"{path}[{index}]"
        yield here, step
        for name, children in sub_lists(step):
            yield from walk_steps(children, f"{here}.{name}")
