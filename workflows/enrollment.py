"""One friend's enrollment in one scenario version: walk the steps, wait, branch, send."""

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from core.dates import date_words, next_occurrence
    from core.windows import in_window, local_text, next_opening
    from scenarios.definition import (
        AttributeStep,
        BranchStep,
        DateUntil,
        MessageStep,
        RichMenuStep,
        SplitStep,
        Step,
        SurveyStep,
        SwitchStep,
        TagStep,
        WaitForStep,
        WaitStep,
    )
    from scenarios.runs import (
        BlockSignal,
        BranchChoice,
        BranchRequest,
        ConditionMet,
        ConditionRequest,
        ConditionResult,
        ControlSignal,
        DateChanged,
        DecisionRecord,
        EnrollmentInput,
        EnrollmentStatus,
        ExitSignal,
        FriendDateRequest,
        FriendUpdate,
        HoldReason,
        MigrateSignal,
        ProgressUpdate,
        RichMenuRequest,
        RichMenuResult,
        SendOutcome,
        SendRequest,
        Signal,
        Status,
        SurveyAnswered,
        SurveyClose,
        SurveyResult,
        SwitchRequest,
        SwitchResult,
        UnblockSignal,
    )
    from scenarios.split import choose_arm
    from workflows import search
    from workflows.describe import condition_words, duration_words

# LINE honours a retry key for 24 h: every retry of one push must end well inside that.
SEND_RETRY_WINDOW = timedelta(hours=6)
SEND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    non_retryable_error_types=["MonthlyLimit"],
)
# the send activity heartbeats while a push runs long: a worker that died mid-push is noticed
# (and the push retried with the same retry key) this soon, not after the start-to-close timeout
SEND_HEARTBEAT = timedelta(seconds=10)
QUOTA_RECHECK = timedelta(hours=1)  # monthly quota reached: slow schedule, never fast retries
LOCAL = timedelta(seconds=30)
# A push is first tried as a local activity, inside the workflow task that woke the
# enrollment: no activity task to dispatch, no second workflow task (bench/: the round-trips
# are what a send costs). A failure of any kind hands it to the regular activity above, with
# its long retry policy; the Delivery row's retry key keeps it one push at LINE.
LOCAL_SEND = timedelta(seconds=45)
LOCAL_SEND_RETRY = RetryPolicy(maximum_attempts=1)
REMEMBERED_CHANGES = 100  # a repeat comes within moments of the first: the last few suffice


class Migrating(Exception):
    """Unwinds the walk after a step, to go on in a newer version of the scenario."""

    def __init__(self, step_id: str):
        super().__init__(step_id)
        self.step_id = step_id


class Finished(Exception):
    """Unwinds the walk when the enrollment is over before its last step."""

    def __init__(self, status: Status, error: str | None = None):
        super().__init__(status)
        self.status: Status = status
        self.error = error


@workflow.defn
class EnrollmentWorkflow:
    @workflow.init
    def __init__(self, input: EnrollmentInput) -> None:
        self.input = input
        self.scenario = input.definition
        self.paused = input.paused
        self.control_seq = input.control_seq
        self.stopped: Status | None = None  # blocked | ended | exited, set by signals
        self.changes: list[int] = []  # the pipeline's changes signalled lately (no repeats)
        self.met: set[str] = set()  # wait_for steps whose condition was signalled as holding
        self.answered: set[str] = set()  # survey steps whose question was answered
        self.dates: dict[str, DateChanged] = {}  # date attributes read or signalled
        self.date_moved: set[str] = set()  # … changed since a wait until one last looked
        self.released_at: datetime | None = None  # resumed: its turn in the spread release
        self.version = input.version  # the version it walks (a migration moves it on)
        self.migration: MigrateSignal | None = None  # a newer version, taken after this step
        self.epoch = input.epoch  # an unblock (on_unblock: resume) moves it on
        self.parked = False  # blocked, with `on_unblock: resume`: the schedule goes on
        self.missed: list[tuple[MessageStep | SurveyStep, datetime]] = []  # fell due while parked
        # (StepStatus, StepCurrent) last upserted, or set by the start
        self.indexed: tuple[str, str | None] | None = (
            ("waiting", input.resume_at or input.definition.steps[0].id) if input.indexed else None
        )
        # sends as local activities, search attributes upserted only where it waits; enrollments
        # started before this (their input has no `fast`) replay the way they ran
        self.fast = input.fast
        self.state = EnrollmentStatus(
            enrollment_id=input.enrollment_id,
            scenario_id=input.scenario_id,
            version=input.version,
            user_id=input.user_id,
            status="waiting",
            sent=list(input.sent),
        )

    @workflow.run
    async def run(self, input: EnrollmentInput) -> EnrollmentStatus:
        try:
            remaining = self.path()
            while remaining:
                try:
                    for steps in remaining:
                        await self.walk(steps, after="end")
                    remaining = []
                except Migrating as moving:  # go on after that step in the new version
                    remaining = self.scenario.after(moving.step_id) or []
            await self.last_chance()
            self.check_stopped()
            ending = Finished("completed")
        except Finished as finished:
            ending = finished
        await self.report(ending.status, self.state.step, error=ending.error)
        self.index()
        return self.state

    # --- the scenario -------------------------------------------------------------------

    def path(self) -> list[list[Step]]:
        """The lists to walk: the scenario, or after an admin retry the failed message step
        and what follows it (steps before it are not walked again)."""
        if self.input.resume_at is None:
            return [self.scenario.steps]
        step = self.scenario.step(self.input.resume_at)
        return [[step], *(self.scenario.after(step.id) or [])] if step else []

    async def walk(self, steps: list[Step], *, after: str) -> None:
        for position, step in enumerate(steps):
            self.check_stopped()
            following = steps[position + 1].id if position + 1 < len(steps) else after
            await self.step(step, following)
            if self.migration and self.migration.definition.step(step.id) is not None:
                self.adopt(self.migration)
                raise Migrating(step.id)

    async def step(self, step: Step, following: str) -> None:
        match step:
            case WaitStep():
                await self.wait(step, following)
            case MessageStep():
                await self.send(step)
            case BranchStep():
                await self.walk(await self.choose(step), after=following)
            case WaitForStep():
                await self.walk(await self.wait_for(step, following), after=following)
            case SplitStep():
                await self.walk(await self.split(step), after=following)
            case TagStep() | AttributeStep():
                await self.update_friend(step)
            case SwitchStep():
                await self.switch(step)
            case RichMenuStep():
                await self.rich_menu(step)
            case SurveyStep():
                await self.walk(await self.survey(step), after=following)

    async def wait(self, step: WaitStep, following: str) -> None:
        """`duration`: from now; `until`: to that moment (one already past: no timer at all)."""
        if isinstance(step.until, DateUntil):
            await self.wait_for_date(step, step.until, following)
            return
        wake = step.wake(workflow.now())
        if step.delta is not None:
            summary = f"wait {duration_words(step.delta)} → {following}"
        else:  # `wake`, not `until` itself: a moment long past may not read in every timezone
            summary = f"wait until {self.local(wake)} → {following}"
        await self.report("waiting", step.id, wake=wake, entered=step.id)
        await self.sleep_until(wake, summary)

    async def wait_for_date(self, step: WaitStep, until: DateUntil, following: str) -> None:
        """Until the friend's date attribute + offset at `at` (scenario's timezone); a change
        of the attribute meanwhile (`date_changed`) moves the wake. No usable date, or its
        moment past: on at once."""
        read: DateChanged = await self.run_local(
            "read_friend_date",
            FriendDateRequest(user_id=self.input.user_id, attribute=until.attribute),
            f"read {until.attribute}",
            DateChanged,
        )
        self.date_changed(read)
        entered: str | None = step.id
        words = date_words(until.attribute, until.offset, until.at)
        while True:
            self.date_moved.discard(until.attribute)
            known = self.dates.get(until.attribute)
            wake = next_occurrence(
                known.value if known else None,
                until.offset,
                until.at,
                self.scenario.timezone,
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
                    await self.report("waiting", step.id, entered=step.id)
                return
            await self.report("waiting", step.id, wake=wake, entered=entered)
            entered = None
            summary = f"wait until {words} ({self.local(wake)}) → {following}"
            if not await self.sleep_until_moved(wake, summary, until.attribute):
                return

    async def sleep_until_moved(self, when: datetime, summary: str, attribute: str) -> bool:
        """`sleep_until`, waking early when the date attribute changes too (then True)."""
        while (delay := when - workflow.now()) > timedelta(0):
            try:
                self.index()
                await workflow.wait_condition(
                    lambda: (
                        self.stopped is not None
                        or attribute in self.date_moved
                        or (not self.parked and bool(self.missed))
                    ),
                    timeout=delay,
                    timeout_summary=summary,
                )
            except TimeoutError:
                break
            self.check_stopped()
            if attribute in self.date_moved:
                return True
            await self.catch_up()
        self.check_stopped()
        return False

    async def send(self, step: MessageStep | SurveyStep) -> None:
        if self.parked:  # blocked: remember it; an unblock within the grace sends it
            self.missed.append((step, workflow.now()))
            await self.report("held", step.id, hold="blocked", entered=step.id)
            return
        entered: str | None = step.id
        held = False
        while True:
            held = await self.until_sendable(step, entered) or held
            entered = None
            outcome = await self.push(step, held)
            if outcome is None:  # LINE: "You have reached your monthly limit."
                await self.hold(step, "quota", until=workflow.now() + QUOTA_RECHECK)
                held = True
            elif outcome.result == "deferred":  # the channel's policy: not yet
                assert outcome.not_before is not None
                await self.hold(
                    step, outcome.hold or "quiet", until=outcome.not_before, entered=step.id
                )
                held = True
            elif outcome.result == "paused":
                self.apply_control("pause", outcome.control_seq or self.control_seq)
            elif outcome.result == "sent":
                self.state.sent.append(step.id)
                return
            elif outcome.result == "skipped":  # e.g. its coupon closed: on to the next step
                return
            elif outcome.result == "blocked" and self.scenario.on_unblock == "resume":
                self.parked = True  # the unfollow's signal may still be on its way
                self.missed.append((step, workflow.now()))
                return
            else:
                raise Finished(outcome.result, outcome.error)

    async def catch_up(self) -> None:
        """Unblocked: send what fell due meanwhile, unless its moment is past the grace."""
        while self.missed and not self.parked:
            step, due = self.missed.pop(0)
            if workflow.now() - due > self.scenario.grace:
                self.state.skipped.append(step.id)
                continue
            await self.send(step)

    async def last_chance(self) -> None:
        """The schedule is over while the friend is blocked: wait for an unblock as long as
        something missed is within the grace, then send it; else the enrollment ends blocked."""
        while self.missed:
            if self.parked:
                last = self.missed[-1][1] + self.scenario.grace
                if not await self.until_unblocked(last):
                    self.state.skipped.extend(step.id for step, _ in self.missed)
                    raise Finished("blocked")
            await self.catch_up()
        if self.parked:
            raise Finished("blocked")

    async def until_unblocked(self, deadline: datetime) -> bool:
        delay = deadline - workflow.now()
        if delay <= timedelta(0):
            return False
        try:
            self.index()
            await workflow.wait_condition(
                lambda: self.stopped is not None or not self.parked,
                timeout=delay,
                timeout_summary="blocked: waiting for an unblock",
            )
        except TimeoutError:
            return False
        self.check_stopped()
        return True

    async def choose(self, step: BranchStep) -> list[Step]:
        self.set_state("waiting", step.id)
        choice: BranchChoice = await self.run_local(
            "evaluate_branch",
            BranchRequest(
                **self.ids(),
                step_id=step.id,
                labels=[branch.label for branch in step.branches],
                conditions=[branch.when for branch in step.branches],
                at=workflow.now(),
            ),
            f"branch {step.id}: {len(step.branches)} condition(s)",
            BranchChoice,
        )
        if choice.index is None:
            return step.otherwise or []
        return step.branches[choice.index].steps

    async def wait_for(self, step: WaitForStep, following: str) -> list[Step]:
        """Take `then` the moment `until` holds (a signal from whoever recorded the change),
        `on_timeout` when the time is up and it still does not."""
        deadline = workflow.now() + step.delta
        self.set_state("waiting", step.id, wake=deadline)
        entered = await self.check(
            step,
            progress=ProgressUpdate(status=self.state, entered=step.id, at=workflow.now()),
        )
        met, inputs = entered.holds, entered.inputs
        if not met:
            summary = (
                f"wait for {condition_words(step.until)}, at most {duration_words(step.delta)}"
            )
            try:
                self.index()
                await workflow.wait_condition(
                    lambda: self.stopped is not None or step.id in self.met,
                    timeout=deadline - workflow.now(),
                    timeout_summary=summary,
                )
            except TimeoutError:
                pass
            self.check_stopped()
            if step.id in self.met:
                met, inputs = True, {"signalled": True}
            else:  # a last look: a change whose signal was lost still counts
                last = await self.check(step, entered.events_after)
                met, inputs = last.holds, last.inputs
        label = "then" if met else "on_timeout"
        await self.decided(step.id, label, 0 if met else 1, inputs)
        return step.then if met else step.on_timeout

    async def survey(self, step: SurveyStep) -> list[Step]:
        """Ask (sent like a message step: windows, quiet hours, caps), then take `then` the
        moment the answer is signalled, `on_timeout` when the time is up without one."""
        await self.send(step)
        if self.missed and self.missed[-1][0] is step:  # blocked: not asked, nor asked late
            self.missed.pop()
            await self.decided(step.id, "on_timeout", 1, {"blocked": True})
            return step.on_timeout
        deadline = workflow.now() + step.delta
        await self.report("waiting", step.id, wake=deadline, entered=step.id)
        if step.id not in self.answered:
            try:
                self.index()
                await workflow.wait_condition(
                    lambda: self.stopped is not None or step.id in self.answered,
                    timeout=deadline - workflow.now(),
                    timeout_summary=f"survey {step.id}: wait for an answer up to "
                    + duration_words(step.delta),
                )
            except TimeoutError:
                pass
        self.check_stopped()
        # closed: no answer counts from now on; one taken whose signal was lost still does
        result: SurveyResult = await self.run_local(
            "close_survey",
            SurveyClose(enrollment_id=self.input.enrollment_id, step_id=step.id),
            f"survey {step.id}: answered?",
            SurveyResult,
        )
        inputs = {"answer": result.value, "label": result.label} if result.answered else {}
        label = "then" if result.answered else "on_timeout"
        await self.decided(step.id, label, 0 if result.answered else 1, inputs)
        return step.then if result.answered else step.on_timeout

    async def check(
        self,
        step: WaitForStep,
        events_after: int | None = None,
        *,
        progress: ProgressUpdate | None = None,
    ) -> ConditionResult:
        return await self.run_local(
            "check_condition",
            ConditionRequest(
                **self.ids(),
                step_id=step.id,
                condition=step.until,
                at=workflow.now(),
                events_after=events_after,
                progress=progress,
            ),
            f"{step.id}: {condition_words(step.until)}?",
            ConditionResult,
        )

    async def split(self, step: SplitStep) -> list[Step]:
        self.set_state("waiting", step.id)
        index = choose_arm(
            [arm.weight for arm in step.arms],
            scenario_id=self.input.scenario_id,
            step_id=step.id,
            user_id=self.input.user_id,
        )
        weights = {arm.label: arm.weight for arm in step.arms}
        await self.decided(step.id, step.arms[index].label, index, {"weights": weights})
        return step.arms[index].steps

    async def decided(self, step_id: str, label: str, index: int, inputs: dict) -> None:
        await self.run_local(
            "record_decision",
            DecisionRecord(
                enrollment_id=self.input.enrollment_id,
                scenario_id=self.input.scenario_id,
                step_id=step_id,
                label=label,
                index=index,
                at=workflow.now(),
                inputs=inputs,
            ),
            f"{step_id} → {label}",
        )

    async def update_friend(self, step: TagStep | AttributeStep) -> None:
        self.set_state("waiting", step.id)
        if isinstance(step, TagStep):
            change = {"add_tags": step.add, "remove_tags": step.remove}
            words = " ".join([f"+{t}" for t in step.add] + [f"-{t}" for t in step.remove])
        else:
            change = {"set_attributes": step.set}
            words = ", ".join(f"{k}={v}" for k, v in step.set.items())
        await self.run_local(
            "update_friend",
            FriendUpdate(**self.ids(), step_id=step.id, at=workflow.now(), **change),
            f"{step.type} {words}",
        )

    async def switch(self, step: SwitchStep) -> None:
        self.set_state("waiting", step.id)
        result: SwitchResult = await self.run_local(
            "switch_scenario",
            SwitchRequest(**self.ids(), step_id=step.id, target=step.scenario, at=workflow.now()),
            f"switch to {step.scenario}",
            SwitchResult,
        )
        self.state.switched_to = result.enrollment_id
        raise Finished("completed", None if result.enrollment_id else result.reason)

    async def rich_menu(self, step: RichMenuStep) -> None:
        """Link the step's rich menu to the friend, or unlink theirs. Whatever LINE answers
        for good (an unknown rich menu, a blocked friend) is recorded by the activity and the
        enrollment goes on: a menu not switched never stops a journey."""
        self.set_state("waiting", step.id)
        self.index()
        summary = f"link rich menu {step.link}" if step.link else "unlink the rich menu"
        try:
            result: RichMenuResult = await workflow.execute_activity(
                "change_rich_menu",
                RichMenuRequest(**self.ids(), step_id=step.id, link=step.link, at=workflow.now()),
                result_type=RichMenuResult,
                start_to_close_timeout=timedelta(seconds=60),
                schedule_to_close_timeout=SEND_RETRY_WINDOW,
                retry_policy=SEND_RETRY,
                summary=summary,
            )
        except ActivityError as err:
            workflow.logger.warning("%s: %s, given up: %s", step.id, summary, err.cause or err)
            return
        if result.result in ("skipped", "failed"):
            workflow.logger.warning("%s: %s %s: %s", step.id, summary, result.result, result.reason)

    # --- holding and sending ------------------------------------------------------------

    async def until_sendable(self, step: MessageStep | SurveyStep, entered: str | None) -> bool:
        """Hold while paused or outside the step's window; whether it held."""
        held = False
        while True:
            self.check_stopped()
            now = workflow.now()
            if self.paused:
                await self.hold(step, "pause", entered=entered)
            elif self.released_at and now < self.released_at:
                await self.hold(step, "pause", until=self.released_at, entered=entered)
            elif step.window and not in_window(now, self.scenario.timezone, **self.window(step)):
                opens = next_opening(now, self.scenario.timezone, **self.window(step))
                await self.hold(step, "window", until=opens, entered=entered)
            else:
                return held
            entered, held = None, True

    async def hold(
        self,
        step: MessageStep | SurveyStep,
        reason: HoldReason,
        *,
        until: datetime | None = None,
        entered=None,
    ) -> None:
        await self.report("held", step.id, wake=until, hold=reason, entered=entered)
        if until is None:
            self.index()
            await workflow.wait_condition(lambda: self.stopped is not None or not self.paused)
            self.check_stopped()
        else:
            await self.sleep_until(until, f"hold {step.id}: {reason} until {self.local(until)}")

    async def push(self, step: MessageStep | SurveyStep, held: bool) -> SendOutcome | None:
        self.set_state("sending", step.id)
        request = SendRequest(
            enrollment_id=self.input.enrollment_id,
            scenario_id=self.input.scenario_id,
            version=self.version,
            user_id=self.input.user_id,
            epoch=self.epoch,
            step_id=step.id,
            planned_at=workflow.now(),
            held=held,
        )
        count = len(step.messages) if isinstance(step, MessageStep) else 1
        summary = f"send {step.id} ({count} message(s))"
        if self.fast:
            try:
                return await workflow.execute_local_activity(
                    "send_message_step",
                    request,
                    result_type=SendOutcome,
                    start_to_close_timeout=LOCAL_SEND,
                    retry_policy=LOCAL_SEND_RETRY,
                    summary=summary,
                )
            except FailureError as err:  # a local activity's failure may come unwrapped
                cause = err.cause if isinstance(err, ActivityError) else err
                if isinstance(cause, ApplicationError) and cause.type == "MonthlyLimit":
                    return None
                # anything else: LINE 5xx/429/timeout — the regular activity takes it on
        self.index()
        try:
            return await workflow.execute_activity(
                "send_message_step",
                request,
                result_type=SendOutcome,
                start_to_close_timeout=timedelta(seconds=60),
                heartbeat_timeout=SEND_HEARTBEAT,
                schedule_to_close_timeout=SEND_RETRY_WINDOW,
                retry_policy=SEND_RETRY,
                summary=summary,
            )
        except ActivityError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.type == "MonthlyLimit":
                return None
            message = cause.message if isinstance(cause, ApplicationError) else str(cause or err)
            raise Finished("failed", f"LINE push did not succeed: {message}") from None

    # --- signals and the query ----------------------------------------------------------

    @workflow.signal
    def block(self, signal: BlockSignal) -> None:
        if self.repeated(signal):
            return
        if self.scenario.on_unblock == "resume":
            self.parked = True
        else:
            self.stopped = self.stopped or "blocked"

    @workflow.signal
    def unblock(self, signal: UnblockSignal) -> None:
        if self.repeated(signal):
            return
        if self.parked and signal.epoch > self.epoch:
            self.parked, self.epoch = False, signal.epoch

    @workflow.signal
    def migrate(self, signal: MigrateSignal) -> None:
        if self.repeated(signal):
            return
        if signal.version > self.version:
            self.migration = signal

    def adopt(self, migration: MigrateSignal) -> None:
        self.scenario, self.version = migration.definition, migration.version
        self.state.version, self.migration = migration.version, None

    @workflow.signal
    def exit(self, signal: ExitSignal) -> None:
        if self.repeated(signal):
            return
        self.stopped = self.stopped or "exited"

    @workflow.signal
    def condition_met(self, signal: ConditionMet) -> None:
        if self.repeated(signal):
            return
        self.met.add(signal.step_id)

    @workflow.signal
    def date_changed(self, signal: DateChanged) -> None:
        """A friend's date attribute as it is now: a wait until it moves (older news not)."""
        if self.repeated(signal):
            return
        known = self.dates.get(signal.attribute)
        if known is None or signal.at >= known.at:
            self.dates[signal.attribute] = signal
            self.date_moved.add(signal.attribute)

    @workflow.signal
    def survey_answered(self, signal: SurveyAnswered) -> None:
        if self.repeated(signal):
            return
        self.answered.add(signal.step_id)

    @workflow.signal
    def control(self, signal: ControlSignal) -> None:
        if self.repeated(signal):
            return
        self.apply_control(signal.action, signal.seq, signal.delay)

    @workflow.query
    def status(self) -> EnrollmentStatus:
        return self.state

    def repeated(self, signal: Signal) -> bool:
        """Whether this change was signalled before (a dispatcher sent it again)."""
        if signal.change_id is None:
            return False
        if signal.change_id in self.changes:
            return True
        self.changes = [*self.changes[-(REMEMBERED_CHANGES - 1) :], signal.change_id]
        return False

    def apply_control(self, action: str, seq: int, delay: timedelta | None = None) -> None:
        if seq <= self.control_seq:
            return  # an older pause/resume arriving late must not undo a newer one
        self.control_seq = seq
        if action == "end":
            self.stopped = self.stopped or "ended"
        else:
            self.paused = action == "pause"
            self.released_at = workflow.now() + delay if delay and not self.paused else None

    def check_stopped(self) -> None:
        if self.stopped:
            raise Finished(self.stopped)

    # --- visibility: search attributes, details, the store ------------------------------

    def set_state(
        self,
        status: Status,
        step: str | None,
        *,
        wake: datetime | None = None,
        hold: HoldReason | None = None,
        error: str | None = None,
    ) -> None:
        self.state.status, self.state.step = status, step
        if not self.fast:
            self.index()
        self.state.next_wake_at, self.state.hold_reason, self.state.error = wake, hold, error
        line = f"step `{step}`: {status}" if step else status
        if hold:
            line += f" ({hold})"
        if wake:
            line += f" until {self.local(wake)}"
        if error:
            line += f"\n\n{error}"
        workflow.set_current_details(
            f"**{self.scenario.name}** · v{self.version} · {self.input.user_id}\n\n{line}"
        )

    def index(self) -> None:
        """StepStatus and StepCurrent as they are now. On the fast path only where the
        enrollment stops to wait (and at its end): a step passed through within one workflow
        task costs no upsert of its own."""
        status, step = self.state.status, self.state.step
        if (status, step) != self.indexed:
            self.indexed = (status, step)
            workflow.upsert_search_attributes(
                [search.STATUS.value_set(status), search.CURRENT.value_set(step or "")]
            )

    async def report(
        self,
        status: Status,
        step: str | None,
        *,
        wake: datetime | None = None,
        hold: HoldReason | None = None,
        error: str | None = None,
        entered: str | None = None,
    ) -> None:
        self.set_state(status, step, wake=wake, hold=hold, error=error)
        await self.run_local(
            "record_progress",
            ProgressUpdate(status=self.state, entered=entered, at=workflow.now()),
            f"record {status}" + (f" at {step}" if step else ""),
        )

    async def run_local(self, name: str, argument: object, summary: str, result_type=None):
        """A local activity on the store: no extra Temporal round-trip."""
        return await workflow.execute_local_activity(
            name,
            argument,
            result_type=result_type,
            start_to_close_timeout=LOCAL,
            summary=summary[:200],
        )

    def ids(self) -> dict[str, str]:
        return {
            "enrollment_id": self.input.enrollment_id,
            "scenario_id": self.input.scenario_id,
            "user_id": self.input.user_id,
        }

    async def sleep_until(self, when: datetime, summary: str) -> None:
        """Sleep, waking early for a stop, and for an unblock with messages to catch up on."""
        while (delay := when - workflow.now()) > timedelta(0):
            try:
                self.index()
                await workflow.wait_condition(
                    lambda: self.stopped is not None or (not self.parked and bool(self.missed)),
                    timeout=delay,
                    timeout_summary=summary,
                )
            except TimeoutError:
                break
            self.check_stopped()
            await self.catch_up()
        self.check_stopped()

    def window(self, step: MessageStep | SurveyStep) -> dict[str, str]:
        assert step.window
        return {"start": step.window.start, "end": step.window.end}

    def local(self, when: datetime) -> str:
        return local_text(when, self.scenario.timezone)
