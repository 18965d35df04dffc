"""One enrollment's state while it runs: what its signals change and its steps read."""

from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from core.windows import local_text
    from domain.statuses import Status
    from domain.steps import MessageStep, SurveyStep
    from scenarios.date_runs import DateChanged
    from scenarios.runs import (
        PROTOCOL_CHANGES,
        BlockSignal,
        ConditionMet,
        ControlSignal,
        EnrollmentInput,
        EnrollmentStatus,
        ExitSignal,
        MigrateSignal,
        SendOutcome,
        Signal,
        SurveyAnswered,
        UnblockSignal,
    )

RECORDED_WITHIN = timedelta(minutes=1)  # the admission's first wake against the workflow's own
REMEMBERED_CHANGES = 100  # a repeat comes within moments of the first: the last few suffice


class Migrating(Exception):
    """Unwinds the walk after a step, to go on in a newer version of the scenario."""

    def __init__(self, step_id: str):
        super().__init__(step_id)
        self.step_id = step_id


class Finished(Exception):
    """Unwinds the walk when the enrollment is over before its last step."""

    def __init__(self, status: Status, error: str | None = None, *, recorded: bool = False):
        super().__init__(status)
        self.status: Status = status
        self.error = error
        self.recorded = recorded  # the store has it already (the last push recorded it)


class Journey:
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
        self.test = input.test  # a test send's run: waits shortened, nothing held
        # the webhook event that started it may carry the first message as a reply, as long
        # as nothing has waited or been sent (workflows/waiting.py, workflows/delivery.py)
        self.reply = input.reply
        self.first_wait = input.first_wait  # the first step's wait, as the admission wrote it
        # message steps pushed with the branch before them: the outcome, or the error type
        self.presends: dict[str, SendOutcome | str] = {}
        self.last_list = True  # walking the last of the step lists ahead (workflows/interpreter)
        self.state = EnrollmentStatus(
            enrollment_id=input.enrollment_id,
            scenario_id=input.scenario_id,
            version=input.version,
            user_id=input.user_id,
            status="waiting",
            sent=list(input.sent),
        )

    # --- what the signals change --------------------------------------------------------

    def block(self, signal: BlockSignal) -> None:
        if self.repeated(signal):
            return
        if self.scenario.on_unblock == "resume":
            self.parked = True
        else:
            self.stopped = self.stopped or "blocked"

    def unblock(self, signal: UnblockSignal) -> None:
        if self.repeated(signal):
            return
        if self.parked and signal.epoch > self.epoch:
            self.parked, self.epoch = False, signal.epoch

    def migrate(self, signal: MigrateSignal) -> None:
        if self.repeated(signal):
            return
        if signal.version > self.version:
            self.migration = signal

    def exit(self, signal: ExitSignal) -> None:
        if self.repeated(signal):
            return
        self.stopped = self.stopped or "exited"

    def condition_met(self, signal: ConditionMet) -> None:
        if self.repeated(signal):
            return
        self.met.add(signal.step_id)

    def date_changed(self, signal: DateChanged) -> None:
        """A friend's date attribute as it is now: a wait until it moves (older news not)."""
        if self.repeated(signal):
            return
        known = self.dates.get(signal.attribute)
        if known is None or signal.at >= known.at:
            self.dates[signal.attribute] = signal
            self.date_moved.add(signal.attribute)

    def survey_answered(self, signal: SurveyAnswered) -> None:
        if self.repeated(signal):
            return
        self.answered.add(signal.step_id)

    def control(self, signal: ControlSignal) -> None:
        if self.repeated(signal):
            return
        self.apply_control(signal.action, signal.seq, signal.delay)

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

    # --- what the steps read ------------------------------------------------------------

    def adopt_migration(self, step_id: str) -> None:
        """After `step_id`: go on in the newer version signalled, if it has that step."""
        migration = self.migration
        if migration and migration.definition.step(step_id) is not None:
            self.scenario, self.version = migration.definition, migration.version
            self.state.version, self.migration = migration.version, None
            raise Migrating(step_id)

    def stop_signalled(self) -> bool:
        return self.stopped is not None

    def missed_to_send(self) -> bool:
        """Unblocked, with messages that fell due while blocked."""
        return not self.parked and bool(self.missed)

    def check_stopped(self) -> None:
        if self.stopped:
            raise Finished(self.stopped)

    def due(self, when: datetime) -> datetime:
        """When a wait or timeout ending at `when` ends: then, or, in a test send's walk,
        at most its `wait` from now."""
        if self.test is None:
            return when
        return min(when, workflow.now() + self.test.wait)

    def recorded_wait(self, step_id: str, own: datetime) -> datetime | None:
        """The wake the admission recorded for this step, once: the first step's, on the
        enrollment's first walk (nothing sent, no migration meanwhile), and within
        RECORDED_WITHIN of the workflow's `own` (not so when the start came long after the
        admission: Temporal away meanwhile, a test server's skipped time)."""
        first, self.first_wait = self.first_wait, None
        if first is None or first.step_id != step_id or self.version != self.input.version:
            return None
        return first.wake if abs(first.wake - own) <= RECORDED_WITHIN else None

    def does(self, change: str) -> bool:
        """Whether this enrollment does `change` (one of PROTOCOL_CHANGES): as given from
        the protocol that took it in; before, as `workflow.patched` says (its history)."""
        return self.input.protocol >= PROTOCOL_CHANGES[change] or workflow.patched(change)

    def ids(self) -> dict[str, str]:
        return {
            "enrollment_id": self.input.enrollment_id,
            "scenario_id": self.input.scenario_id,
            "user_id": self.input.user_id,
        }

    def local(self, when: datetime) -> str:
        return local_text(when, self.scenario.timezone)
