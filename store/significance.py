"""The significance test between the arms of each branch and split step (a chi-square test)."""

import math

from domain.steps import BranchStep, SplitStep, walk_steps
from scenarios.definition import ScenarioDefinition
from store.stats_models import ArmTest, BranchStats

SIGNIFICANCE = 0.05  # a p-value below it: the arms' conversion rates differ beyond chance


def arm_tests(definition: ScenarioDefinition, branches: list[BranchStats]) -> list[ArmTest]:
    tested = [
        step.id
        for _, step in walk_steps(definition.steps)
        if isinstance(step, BranchStep | SplitStep)
    ]
    return [arm_test(step, [b for b in branches if b.step == step]) for step in tested]


def arm_test(step: str, arms: list[BranchStats]) -> ArmTest:
    """The chi-square test between the arms of `step` that were taken (see ArmTest)."""
    compared = [arm for arm in arms if arm.taken > 0]
    labels = [arm.label for arm in compared]
    if len(compared) < 2:
        return ArmTest(step=step, arms=labels, reason="fewer than two arms were taken")
    converted = [arm.conversions or 0 for arm in compared]
    total = sum(arm.taken for arm in compared)
    if sum(converted) == 0:
        return ArmTest(step=step, arms=labels, reason="no enrollment converted in any arm")
    if sum(converted) == total:
        return ArmTest(step=step, arms=labels, reason="every enrollment converted")
    # scipy.stats takes most of a second to import: only a stats request with a goal needs it
    from scipy.stats import chi2_contingency

    table = [[done, arm.taken - done] for arm, done in zip(compared, converted, strict=True)]
    try:
        result = chi2_contingency(table, correction=False)
    except ValueError as exc:  # a table it cannot test (guarded above; never a 500)
        return ArmTest(step=step, arms=labels, reason=f"no test: {exc}")
    statistic, p_value = float(result.statistic), float(result.pvalue)
    if not (math.isfinite(statistic) and math.isfinite(p_value)):
        return ArmTest(step=step, arms=labels, reason="no test: the statistic is not finite")
    small = float(result.expected_freq.min()) < 5
    return ArmTest(
        step=step,
        arms=labels,
        statistic=statistic,
        dof=int(result.dof),
        p_value=p_value,
        significant=p_value < SIGNIFICANCE,
        reason="an expected count is below 5: the p-value is approximate" if small else None,
    )
