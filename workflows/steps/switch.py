"""A switch step: the friend goes on in another scenario; this enrollment is complete."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.steps import SwitchStep
    from scenarios.runs import SwitchRequest, SwitchResult
    from workflows import calls
    from workflows.journey import Finished, Journey
    from workflows.visibility import set_state


async def run(journey: Journey, step: SwitchStep, following: str) -> None:
    set_state(journey, "waiting", step.id)
    result: SwitchResult = await calls.switch_scenario(
        SwitchRequest(**journey.ids(), step_id=step.id, target=step.scenario, at=workflow.now()),
        f"switch to {step.scenario}",
    )
    journey.state.switched_to = result.enrollment_id
    raise Finished("completed", None if result.enrollment_id else result.reason)
