"""The shape of scenario stats: per step, per branch way, arm tests, surveys, and the whole."""

from typing import Literal

from pydantic import BaseModel, ConfigDict

from scenarios.definition import Goal

_STATS = ConfigDict(use_attribute_docstrings=True)


class StepStats(BaseModel):
    model_config = _STATS
    id: str
    entered: int = 0
    sent: int = 0
    failed: int = 0
    clicks: int = 0
    type: str | None = None
    """The step's type in the scenario's current version; null for a step only an older
    version has."""
    unique_clicks: int = 0
    """Enrollments that clicked a tracked link of this step at least once."""
    conversions: int | None = None
    """Enrollments that reached this step (a message step: whose message was sent) and had a
    goal event within the goal's `within` after that moment; null when there is no goal."""
    blocked: int = 0
    """Enrollments that ended `blocked` while at this step (the friend blocked the account)."""
    replies: int = 0
    """Of `sent`, those that went as LINE's reply to the event that started the enrollment:
    free, not counted in the plan (each saved one counted message)."""
    skipped: int = 0
    """Messages of this step not pushed for good, the enrollment going on (a coupon closed or
    past its end: the delivery's reason says which)."""


class BranchStats(BaseModel):
    model_config = _STATS
    step: str
    label: str
    taken: int = 0
    type: str | None = None
    """The step's type: `branch`, `split` or `wait_for`."""
    conversions: int | None = None
    """Enrollments that took this way and had a goal event within the goal's `within` after
    the decision; null when there is no goal."""
    conversion_rate: float | None = None
    """conversions / taken; null when there is no goal or nobody took this way."""


class ArmTest(BaseModel):
    """Whether the conversion rates of a branch or split step's arms differ beyond chance: a
    chi-square test of independence on the arms × (converted, not converted) table, without
    continuity correction (for two arms, the two-proportion z-test)."""

    model_config = _STATS
    step: str
    """The branch or split step."""
    test: Literal["chi-square"] = "chi-square"
    """The test made."""
    arms: list[str]
    """The labels compared: the ways at least one enrollment took."""
    statistic: float | None = None
    """The chi-square statistic; null when no test could be made."""
    dof: int | None = None
    """Degrees of freedom: compared arms − 1."""
    p_value: float | None = None
    """The chance of rates at least this far apart if the arms converted alike; null when no
    test could be made (see `reason`)."""
    significant: bool | None = None
    """p_value < 0.05; null without a p_value."""
    reason: str | None = None
    """Why there is no p_value, or a caution about it (small expected counts)."""


class SurveyStats(BaseModel):
    model_config = _STATS
    step: str
    """The survey step."""
    asked: int = 0
    """Enrollments the question was sent to."""
    answered: int = 0
    """Enrollments whose friend answered it in time."""
    answers: dict[str, int] = {}
    """How many gave each answer: an option's value (text as it is, others as JSON), or
    the text a friend wrote to a question without options."""


class ScenarioStats(BaseModel):
    model_config = _STATS
    enrolled: int  # LINE's "users targeted in the period"
    completed: int  # LINE's "users who received every message" on their path
    active: int
    blocked: int
    exited: int
    ended: int  # ended by the scenario: `end`, or its delivery cap (status `capped`)
    failed: int
    messages_sent: int
    replies: int = 0
    """Of `messages_sent`, those sent as free replies: counted messages saved."""
    steps: list[StepStats]
    branches: list[BranchStats]
    goal: Goal | None = None
    """The goal of the scenario's current version; null: no goal set, and every conversion
    figure is null."""
    converted: int | None = None
    """Enrollments with a goal event within the goal's `within` after the enrollment began."""
    conversion_rate: float | None = None
    """converted / enrolled; null when there is no goal or nobody enrolled."""
    tests: list[ArmTest] = []
    """A significance test between the arms of each branch and split step (with a goal)."""
    surveys: list[SurveyStats] = []
    """Per survey step of the current version: questions asked, answered, and the count of
    each answer."""
