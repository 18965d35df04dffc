"""Walks a scenario's steps for one friend: each step's handler (workflows/steps/), then the
steps it chose, then the next; a newer version signalled meanwhile is taken after a step."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.steps import MessageStep, Step, SurveyStep
    from workflows.delivery import send
    from workflows.journey import Finished, Journey, Migrating
    from workflows.steps import HANDLERS


async def walk_scenario(journey: Journey) -> None:
    if journey.test and journey.test.step is not None:  # a test send of one step
        await send_alone(journey, journey.test.step)
        return
    remaining = path(journey)
    while remaining:
        try:
            for position, steps in enumerate(remaining):
                journey.last_list = position == len(remaining) - 1
                await walk(journey, steps, after="end")
            remaining = []
        except Migrating as moving:  # go on after that step in the new version
            remaining = journey.scenario.after(moving.step_id) or []


def path(journey: Journey) -> list[list[Step]]:
    """The lists to walk: the scenario, or after an admin retry the failed message step
    and what follows it (steps before it are not walked again)."""
    scenario, resume_at = journey.scenario, journey.input.resume_at
    if resume_at is None:
        return [scenario.steps]
    step = scenario.step(resume_at)
    return [[step], *(scenario.after(step.id) or [])] if step else []


async def walk(journey: Journey, steps: list[Step], *, after: str) -> None:
    for position, step in enumerate(steps):
        if step.id not in journey.presends:  # one pushed already is taken as it went
            journey.check_stopped()
        following = steps[position + 1].id if position + 1 < len(steps) else after
        chosen = await HANDLERS[type(step)](journey, step, following)
        if chosen is not None:
            await walk(journey, chosen, after=following)
        journey.adopt_migration(step.id)


async def send_alone(journey: Journey, step_id: str) -> None:
    """A test send of one step: its messages (a survey step's question) now, nothing after."""
    step = journey.scenario.step(step_id)
    if not isinstance(step, MessageStep | SurveyStep):
        raise Finished("failed", f"version {journey.version} has no message step {step_id!r}")
    await send(journey, step)
