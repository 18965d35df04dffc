"""A wait step: a duration, a moment, or a friend's date attribute (which may move meanwhile)."""

from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from core.dates import next_occurrence
    from domain.dates import date_words
    from domain.steps import DateUntil, WaitStep
    from scenarios.date_runs import DateChanged, FriendDateRequest
    from workflows import calls, waiting
    from workflows.delivery import catch_up, sleep_until
    from workflows.describe import duration_words
    from workflows.journey import Journey
    from workflows.visibility import report, set_state


async def run(journey: Journey, step: WaitStep, following: str) -> None:
    """`duration`: from now; `until`: to that moment (one already past: no timer at all)."""
    if isinstance(step.until, DateUntil):
        await until_date(journey, step, step.until, following)
        return
    wake = journey.due(step.wake(workflow.now()))
    recorded = journey.recorded_wait(step.id, wake)  # the admission wrote it, as it stands
    wake = recorded or wake
    if step.delta is not None:
        summary = f"wait {duration_words(step.delta)} → {following}"
    else:  # `wake`, not `until` itself: a moment long past may not read in every timezone
        summary = f"wait until {journey.local(wake)} → {following}"
    if recorded is None:
        await report(journey, "waiting", step.id, wake=wake, entered=step.id)
    else:  # the store has it: the first workflow task only starts the timer
        set_state(journey, "waiting", step.id, wake=wake)
    await sleep_until(journey, wake, summary)


async def until_date(journey: Journey, step: WaitStep, until: DateUntil, following: str) -> None:
    """Until the friend's date attribute + offset at `at` (scenario's timezone); a change
    of the attribute meanwhile (`date_changed`) moves the wake. No usable date, or its
    moment past: on at once."""
    read: DateChanged = await calls.read_friend_date(
        FriendDateRequest(user_id=journey.input.user_id, attribute=until.attribute),
        f"read {until.attribute}",
    )
    journey.date_changed(read)
    entered: str | None = step.id
    words = date_words(until.attribute, until.offset, until.at)
    while True:
        journey.date_moved.discard(until.attribute)
        known = journey.dates.get(until.attribute)
        wake = next_occurrence(
            known.value if known else None,
            until.offset,
            until.at,
            journey.scenario.timezone,
            yearly=False,
            after=workflow.now(),
        )
        if wake is None:
            workflow.logger.info(
                "%s: %s is no date ahead (%r): on at once",
                step.id,
                until.attribute,
                known.value if known else None,
            )
            if entered:
                await report(journey, "waiting", step.id, entered=step.id)
            return
        wake = journey.due(wake)  # a test send's walk: a few seconds at most
        await report(journey, "waiting", step.id, wake=wake, entered=entered)
        entered = None
        summary = f"wait until {words} ({journey.local(wake)}) → {following}"
        if not await sleep_until_moved(journey, wake, summary, until.attribute):
            return


async def sleep_until_moved(journey: Journey, when: datetime, summary: str, attribute: str) -> bool:
    """`sleep_until`, waking early when the date attribute changes too (then True)."""
    moved = lambda: attribute in journey.date_moved  # noqa: E731
    while when - workflow.now() > timedelta(0):
        woken = await waiting.until(
            journey,
            lambda: journey.stop_signalled() or moved() or journey.missed_to_send(),
            when,
            summary,
        )
        if not woken:
            break
        journey.check_stopped()
        if moved():
            return True
        await catch_up(journey)
    journey.check_stopped()
    return False
