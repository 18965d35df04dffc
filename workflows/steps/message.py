"""A message step: delivered (workflows/delivery.py)."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.steps import MessageStep
    from workflows.delivery import send
    from workflows.journey import Journey


async def run(journey: Journey, step: MessageStep, following: str) -> None:
    await send(journey, step, last=following == "end" and journey.last_list)
