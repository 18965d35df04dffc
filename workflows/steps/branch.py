"""A branch step: the first branch whose condition holds for the friend now, else `otherwise`.
Where a way begins with a message that would go out at once, the branch's activity pushes it
too (workflows/delivery.py `ahead`): one local activity for the decision and the push."""

from temporalio import workflow
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from domain.steps import BranchStep, Step
    from scenarios.runs import BranchChoice, BranchRequest
    from workflows import calls
    from workflows.delivery import ahead
    from workflows.journey import Journey
    from workflows.visibility import set_state


async def run(journey: Journey, step: BranchStep, following: str) -> list[Step]:
    set_state(journey, "waiting", step.id)
    ways = [branch.steps for branch in step.branches] + [step.otherwise or []]
    request = BranchRequest(
        **journey.ids(),
        step_id=step.id,
        labels=[branch.label for branch in step.branches],
        conditions=[branch.when for branch in step.branches],
        at=workflow.now(),
    )
    summary = f"branch {step.id}: {len(step.branches)} condition(s)"
    sends = ahead(journey, ways, following)
    choice: BranchChoice | None = None
    if sends and journey.does("branch-then-send"):
        try:
            choice = await calls.branch_and_send(
                request.model_copy(update={"sends": sends}), f"{summary}, then its message"
            )
        except FailureError:  # the decision alone, below (a decision taken is kept)
            choice = None
    if choice is None:
        choice = await calls.evaluate_branch(request, summary)
    way = ways[len(step.branches) if choice.index is None else choice.index]
    if way and (choice.sent is not None or choice.send_failed is not None):
        journey.presends[way[0].id] = choice.sent or choice.send_failed or ""
    return way
