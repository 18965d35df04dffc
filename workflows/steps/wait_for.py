"""A wait_for step: `then` the moment its condition holds, `on_timeout` when time is up first."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.steps import Step, WaitForStep
    from scenarios.runs import ConditionRequest, ConditionResult, ProgressUpdate
    from workflows import calls, waiting
    from workflows.describe import condition_words, duration_words
    from workflows.journey import Journey
    from workflows.visibility import decided, set_state


async def run(journey: Journey, step: WaitForStep, following: str) -> list[Step]:
    """Take `then` the moment `until` holds (a signal from whoever recorded the change),
    `on_timeout` when the time is up and it still does not."""
    deadline = journey.due(workflow.now() + step.delta)
    set_state(journey, "waiting", step.id, wake=deadline)
    entered = await check(
        journey,
        step,
        progress=ProgressUpdate(status=journey.state, entered=step.id, at=workflow.now()),
    )
    met, inputs = entered.holds, entered.inputs
    if not met:
        summary = f"wait for {condition_words(step.until)}, at most {duration_words(step.delta)}"
        signalled = lambda: step.id in journey.met  # noqa: E731
        await waiting.until(
            journey, lambda: journey.stop_signalled() or signalled(), deadline, summary
        )
        journey.check_stopped()
        if signalled():
            met, inputs = True, {"signalled": True}
        else:  # a last look: a change whose signal was lost still counts
            last = await check(journey, step, entered.events_after)
            met, inputs = last.holds, last.inputs
    label = "then" if met else "on_timeout"
    await decided(journey, step.id, label, 0 if met else 1, inputs)
    return step.then if met else step.on_timeout


async def check(
    journey: Journey,
    step: WaitForStep,
    events_after: int | None = None,
    *,
    progress: ProgressUpdate | None = None,
) -> ConditionResult:
    return await calls.check_condition(
        ConditionRequest(
            **journey.ids(),
            step_id=step.id,
            condition=step.until,
            at=workflow.now(),
            events_after=events_after,
            progress=progress,
        ),
        f"{step.id}: {condition_words(step.until)}?",
    )
