"""Tag and attribute steps: change the friend (what that change starts is the activity's)."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.steps import AttributeStep, TagStep
    from scenarios.runs import FriendUpdate
    from workflows import calls
    from workflows.journey import Journey
    from workflows.visibility import set_state


async def run(journey: Journey, step: TagStep | AttributeStep, following: str) -> None:
    set_state(journey, "waiting", step.id)
    if isinstance(step, TagStep):
        change = {"add_tags": step.add, "remove_tags": step.remove}
        words = " ".join([f"+{t}" for t in step.add] + [f"-{t}" for t in step.remove])
    else:
        change = {"set_attributes": step.set}
        words = ", ".join(f"{k}={v}" for k, v in step.set.items())
    await calls.update_friend(
        FriendUpdate(**journey.ids(), step_id=step.id, at=workflow.now(), **change),
        f"{step.type} {words}",
    )
