"""A rich_menu step: link the step's rich menu to the friend, or unlink theirs."""

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from domain.steps import RichMenuStep
    from scenarios.runs import RichMenuRequest, RichMenuResult
    from workflows import calls
    from workflows.journey import Journey
    from workflows.visibility import index, set_state


async def run(journey: Journey, step: RichMenuStep, following: str) -> None:
    """Whatever LINE answers for good (an unknown rich menu, a blocked friend) is recorded by
    the activity and the enrollment goes on: a menu not switched never stops a journey."""
    set_state(journey, "waiting", step.id)
    index(journey)
    summary = f"link rich menu {step.link}" if step.link else "unlink the rich menu"
    try:
        result: RichMenuResult = await calls.change_rich_menu(
            RichMenuRequest(**journey.ids(), step_id=step.id, link=step.link, at=workflow.now()),
            summary,
        )
    except ActivityError as err:
        workflow.logger.warning("%s: %s, given up: %s", step.id, summary, err.cause or err)
        return
    if result.result in ("skipped", "failed"):
        workflow.logger.warning("%s: %s %s: %s", step.id, summary, result.result, result.reason)
