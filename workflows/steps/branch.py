"""A branch step: the first branch whose condition holds for the friend now, else `otherwise`."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.steps import BranchStep, Step
    from scenarios.runs import BranchChoice, BranchRequest
    from workflows import calls
    from workflows.journey import Journey
    from workflows.visibility import set_state


async def run(journey: Journey, step: BranchStep, following: str) -> list[Step]:
    set_state(journey, "waiting", step.id)
    choice: BranchChoice = await calls.evaluate_branch(
        BranchRequest(
            **journey.ids(),
            step_id=step.id,
            labels=[branch.label for branch in step.branches],
            conditions=[branch.when for branch in step.branches],
            at=workflow.now(),
        ),
        f"branch {step.id}: {len(step.branches)} condition(s)",
    )
    if choice.index is None:
        return step.otherwise or []
    return step.branches[choice.index].steps
