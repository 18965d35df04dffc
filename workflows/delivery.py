"""Delivering a message step: holds (pause, window, the channel's policy, LINE's quota), the
push with its fallback, and a blocked friend's parking — what fell due while blocked is caught
up on after an unblock within the scenario's grace."""

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from core.windows import in_window, next_opening
    from domain.statuses import HoldReason
    from domain.steps import MessageStep, Step, SurveyStep
    from scenarios.runs import EnrollmentStatus, ProgressUpdate, SendOutcome, SendRequest
    from workflows import calls, waiting
    from workflows.journey import Finished, Journey
    from workflows.visibility import index, report, set_state

Deliverable = MessageStep | SurveyStep


async def send(journey: Journey, step: Deliverable, *, last: bool = False) -> None:
    """Deliver the step: wait while it may not go out, push, and act on what LINE answers.
    `last`: nothing follows it, so the push may record the enrollment completed with it."""
    # pushed already with the branch that led here (or tried, and failed: its error type)
    pushed = journey.presends.pop(step.id, None)
    if pushed is None and journey.parked:  # blocked: an unblock within the grace sends it
        journey.missed.append((step, workflow.now()))
        await report(journey, "held", step.id, hold="blocked", entered=step.id)
        return
    entered: str | None = step.id
    held = False
    while True:
        if isinstance(pushed, SendOutcome):
            set_state(journey, "sending", step.id)
            outcome: SendOutcome | None = pushed
        else:
            held = await until_sendable(journey, step, entered) or held
            outcome = await push(journey, step, held, last=last, tried=pushed)
        entered, pushed = None, None
        if outcome is None and journey.test:  # a test is not held for the quota
            raise Finished("failed", "LINE: You have reached your monthly limit.")
        if outcome is None:  # LINE: "You have reached your monthly limit."
            await hold(journey, step, "quota", until=workflow.now() + calls.QUOTA_RECHECK)
            held = True
        elif outcome.result == "deferred":  # the channel's policy: not yet
            assert outcome.not_before is not None
            reason = outcome.hold or "quiet"
            await hold(journey, step, reason, until=outcome.not_before, entered=step.id)
            held = True
        elif outcome.result == "paused":
            journey.apply_control("pause", outcome.control_seq or journey.control_seq)
        elif outcome.result == "sent":
            journey.state.sent.append(step.id)
            if outcome.finished:  # recorded with the push: nothing else happens to it
                raise Finished("completed", recorded=True)
            return
        elif outcome.result == "skipped":  # e.g. its coupon closed: on to the next step
            return
        elif outcome.result == "blocked" and journey.scenario.on_unblock == "resume":
            journey.parked = True  # the unfollow's signal may still be on its way
            journey.missed.append((step, workflow.now()))
            return
        else:
            raise Finished(outcome.result, outcome.error)


async def until_sendable(journey: Journey, step: Deliverable, entered: str | None) -> bool:
    """Hold while paused or outside the step's window; whether it held. (A test send's run
    is held by neither: it goes out now.)"""
    held = False
    while True:
        journey.check_stopped()
        if journey.test:
            return held
        due = hold_now(journey, step)
        if due is None:
            return held
        reason, until = due
        await hold(journey, step, reason, until=until, entered=entered)
        entered, held = None, True


def hold_now(journey: Journey, step: Deliverable) -> tuple[HoldReason, datetime | None] | None:
    """What holds the step at this moment, and until when (None: until resumed): a pause, a
    resume's turn in its spread, its window shut; None when it may go out now."""
    now, timezone = workflow.now(), journey.scenario.timezone
    if journey.paused:
        return "pause", None
    if journey.released_at and now < journey.released_at:
        return "pause", journey.released_at
    if step.window and not in_window(now, timezone, **window(step)):
        return "window", next_opening(now, timezone, **window(step))
    return None


async def hold(
    journey: Journey,
    step: Deliverable,
    reason: HoldReason,
    *,
    until: datetime | None = None,
    entered: str | None = None,
) -> None:
    """Held for `reason` until that moment; with none (paused), until resumed."""
    await report(journey, "held", step.id, wake=until, hold=reason, entered=entered)
    if until is None:
        await waiting.until(journey, lambda: journey.stop_signalled() or not journey.paused)
        journey.check_stopped()
    else:
        summary = f"hold {step.id}: {reason} until {journey.local(until)}"
        await sleep_until(journey, until, summary)


async def push(
    journey: Journey, step: Deliverable, held: bool, *, last: bool = False, tried: str | None = None
) -> SendOutcome | None:
    """LINE's answer for the step; None: the monthly limit is reached. `tried`: a push made
    with the branch failed with that error type (not tried again as a local activity)."""
    set_state(journey, "sending", step.id)
    # the first message, due at once after the event that started the enrollment: offered
    # that event's reply token (once; enrollments started before this never are)
    reply = journey.reply and not held and journey.does("reply-first")
    journey.reply = False
    request = send_request(journey, step, held=held, reply=reply, last=last)
    summary = send_summary(step, request)
    if tried == "MonthlyLimit":
        return None
    if journey.fast and tried is None:
        try:
            return await calls.send_at_once(request, summary)
        except FailureError as err:  # a local activity's failure may come unwrapped
            cause = err.cause if isinstance(err, ActivityError) else err
            if isinstance(cause, ApplicationError) and cause.type == "MonthlyLimit":
                return None
            # anything else: LINE 5xx/429/timeout — the regular activity takes it on
    index(journey)
    try:
        return await calls.send(request, summary)
    except ActivityError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type == "MonthlyLimit":
            return None
        message = cause.message if isinstance(cause, ApplicationError) else str(cause or err)
        raise Finished("failed", f"LINE push did not succeed: {message}") from None


async def sleep_until(journey: Journey, when: datetime, summary: str) -> None:
    """Sleep, waking early for a stop, and for an unblock with messages to catch up on."""
    while when - workflow.now() > timedelta(0):
        woken = await waiting.until(
            journey, lambda: journey.stop_signalled() or journey.missed_to_send(), when, summary
        )
        if not woken:
            break
        journey.check_stopped()
        await catch_up(journey)
    journey.check_stopped()


async def catch_up(journey: Journey) -> None:
    """Unblocked: send what fell due meanwhile, unless its moment is past the grace."""
    while journey.missed and not journey.parked:
        step, due = journey.missed.pop(0)
        if workflow.now() - due > journey.scenario.grace:
            journey.state.skipped.append(step.id)
            continue
        await send(journey, step)


async def last_chance(journey: Journey) -> None:
    """The schedule is over while the friend is blocked: wait for an unblock as long as
    something missed is within the grace, then send it; else the enrollment ends blocked."""
    while journey.missed:
        if journey.parked:
            last = journey.missed[-1][1] + journey.scenario.grace
            if not await until_unblocked(journey, last):
                journey.state.skipped.extend(step.id for step, _ in journey.missed)
                raise Finished("blocked")
        await catch_up(journey)
    if journey.parked:
        raise Finished("blocked")


async def until_unblocked(journey: Journey, deadline: datetime) -> bool:
    if deadline - workflow.now() <= timedelta(0):
        return False
    summary = "blocked: waiting for an unblock"
    unblocked = await waiting.until(
        journey, lambda: journey.stop_signalled() or not journey.parked, deadline, summary
    )
    if not unblocked:
        return False
    journey.check_stopped()
    return True


def send_request(
    journey: Journey, step: Deliverable, *, held: bool, reply: bool, last: bool
) -> SendRequest:
    request = SendRequest(
        enrollment_id=journey.input.enrollment_id,
        scenario_id=journey.input.scenario_id,
        version=journey.version,
        user_id=journey.input.user_id,
        epoch=journey.epoch,
        step_id=step.id,
        planned_at=workflow.now(),
        held=held,
        reply=reply,
    )
    if last and journey.fast and at_its_end(journey) and journey.does("finish-with-push"):
        request.finish = ProgressUpdate(status=completed(journey, step), at=workflow.now())
    return request


def send_summary(step: Deliverable, request: SendRequest) -> str:
    count = len(step.messages) if isinstance(step, MessageStep) else 1
    return f"send {step.id} ({count} message(s))" + (", then completed" if request.finish else "")


def ahead(journey: Journey, ways: list[list[Step]], following: str) -> list[SendRequest | None]:
    """For a branch about to decide: each way's first step's push, where that is a message
    that would go out at once (nothing holds it now), so the branch's activity can push it;
    [] when no way's would."""
    if not journey.fast or journey.test or journey.reply or journey.parked or journey.stopped:
        return []
    requests: list[SendRequest | None] = []
    for steps in ways:
        first = steps[0] if steps else None
        if isinstance(first, MessageStep) and hold_now(journey, first) is None:
            last = len(steps) == 1 and following == "end" and journey.last_list
            requests.append(send_request(journey, first, held=False, reply=False, last=last))
        else:
            requests.append(None)
    return requests if any(requests) else []


def at_its_end(journey: Journey) -> bool:
    """Once this push is sent the enrollment is over: nothing missed, parked, migrating or
    stopped that could still take it elsewhere."""
    return not (journey.missed or journey.parked or journey.migration or journey.stopped)


def completed(journey: Journey, step: Deliverable) -> EnrollmentStatus:
    """Its state once `step` is sent and it has completed, as the workflow's end sets it."""
    state = journey.state.model_copy(deep=True)
    state.status, state.step, state.sent = "completed", step.id, [*state.sent, step.id]
    state.next_wake_at = state.hold_reason = state.error = None
    return state


def window(step: Deliverable) -> dict[str, str]:
    assert step.window
    return {"start": step.window.start, "end": step.window.end}
