"""A survey step: ask (sent like a message step), then `then` on an answer, `on_timeout` without."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.steps import Step, SurveyStep
    from scenarios.runs import SurveyClose, SurveyResult
    from workflows import calls, waiting
    from workflows.delivery import send
    from workflows.describe import duration_words
    from workflows.journey import Journey
    from workflows.visibility import decided, report


async def run(journey: Journey, step: SurveyStep, following: str) -> list[Step]:
    """Ask (windows, quiet hours, caps as for a message), then take `then` the moment the
    answer is signalled, `on_timeout` when the time is up without one."""
    await send(journey, step)
    if journey.missed and journey.missed[-1][0] is step:  # blocked: not asked, nor asked late
        journey.missed.pop()
        await decided(journey, step.id, "on_timeout", 1, {"blocked": True})
        return step.on_timeout
    deadline = journey.due(workflow.now() + step.delta)
    await report(journey, "waiting", step.id, wake=deadline, entered=step.id)
    if step.id not in journey.answered:
        summary = f"survey {step.id}: wait for an answer up to " + duration_words(step.delta)
        answered = lambda: step.id in journey.answered  # noqa: E731
        await waiting.until(
            journey, lambda: journey.stop_signalled() or answered(), deadline, summary
        )
    journey.check_stopped()
    # closed: no answer counts from now on; one taken whose signal was lost still does
    result: SurveyResult = await calls.close_survey(
        SurveyClose(enrollment_id=journey.input.enrollment_id, step_id=step.id),
        f"survey {step.id}: answered?",
    )
    inputs = {"answer": result.value, "label": result.label} if result.answered else {}
    label = "then" if result.answered else "on_timeout"
    await decided(journey, step.id, label, 0 if result.answered else 1, inputs)
    return step.then if result.answered else step.on_timeout
