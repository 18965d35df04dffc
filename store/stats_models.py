"""The shape of scenario stats: per step, per branch way, arm tests, surveys, holdouts, and the
whole."""

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
    counted: int = 0
    """Messages of this step LINE counted against the plan: those sent as pushes (`sent`
    less `replies`; a push of up to five bubbles to one friend counts one)."""
    cost_yen: float | None = None
    """counted × the channel policy's `message_price_yen`, rounded to 0.01 yen; null when no
    price is set."""
    saved_yen: float | None = None
    """replies × `message_price_yen`: what the free replies saved; null when no price is
    set."""


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


class HoldoutStats(BaseModel):
    """A split step's holdout arm (`steps: []`: nothing sent) against its other arms: the
    conversions the treated arms made beyond the holdout's rate, and what they cost."""

    model_config = _STATS
    step: str
    """The split step."""
    holdout: str
    """The holdout arm's label."""
    holdout_taken: int = 0
    """Enrollments the split put in the holdout arm."""
    holdout_conversions: int = 0
    """Of those, enrollments with a goal event within the goal's `within` after the split."""
    holdout_rate: float | None = None
    """holdout_conversions / holdout_taken; null when nobody was held out."""
    treated: list[str] = []
    """The labels of the treated arms: the split's arms that send (steps not empty)."""
    treated_taken: int = 0
    """Enrollments the split put in a treated arm."""
    treated_conversions: int = 0
    """Of those, enrollments with a goal event within the goal's `within` after the split."""
    treated_rate: float | None = None
    """treated_conversions / treated_taken; null when nobody was treated."""
    incremental_conversions: float | None = None
    """treated_conversions − holdout_rate × treated_taken: the conversions the treated arms
    made beyond what the holdout's rate predicts, rounded to 0.0001 (may be negative); null
    when nobody was held out."""
    counted: int = 0
    """Counted messages (pushes) sent by the steps of the treated arms, nested ones too."""
    cost_yen: float | None = None
    """counted × `message_price_yen`, rounded to 0.01 yen; null when no price is set."""
    cost_per_incremental_conversion: float | None = None
    """cost_yen / incremental_conversions, rounded to 0.01 yen; null without a price or when
    the incremental conversions are not above 0."""


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
    counted: int = 0
    """Of `messages_sent`, those LINE counted against the plan: the pushes (replies apart)."""
    message_price_yen: float | None = None
    """The channel policy's price of one counted message the costs are reckoned at; null: no
    price is set, and every cost below is null."""
    cost_yen: float | None = None
    """counted × `message_price_yen`, rounded to 0.01 yen (the plan's free messages are the
    channel's, for the month, and are not taken off)."""
    saved_yen: float | None = None
    """replies × `message_price_yen`: what the free replies saved."""
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
    holdouts: list[HoldoutStats] = []
    """Per holdout arm of a split step of the current version, when there is a goal: the
    incremental conversions of the other arms and their cost per incremental conversion."""
