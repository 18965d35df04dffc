"""A split step: an arm by weight, the same for a friend however often it is asked."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.steps import SplitStep, Step
    from scenarios.split import choose_arm
    from workflows.journey import Journey
    from workflows.visibility import decided, set_state


async def run(journey: Journey, step: SplitStep, following: str) -> list[Step]:
    set_state(journey, "waiting", step.id)
    index = choose_arm(
        [arm.weight for arm in step.arms],
        scenario_id=journey.input.scenario_id,
        step_id=step.id,
        user_id=journey.input.user_id,
    )
    weights = {arm.label: arm.weight for arm in step.arms}
    await decided(journey, step.id, step.arms[index].label, index, {"weights": weights})
    return step.arms[index].steps
