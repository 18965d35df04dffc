"""One friend's enrollment in one scenario version: walk the steps, wait, branch, send.

The shell: the run, the signals and the query. The walk is workflows/interpreter.py, each step
kind's work workflows/steps/, sending workflows/delivery.py, the activities it calls
workflows/calls.py. A change to what this workflow does goes behind `workflow.patched` so that
enrollments already running replay as they ran (tests/replay)."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from scenarios import date_runs, runs
    from workflows import interpreter
    from workflows.delivery import last_chance
    from workflows.journey import Finished, Journey
    from workflows.visibility import index, report, set_state


@workflow.defn
class EnrollmentWorkflow:
    @workflow.init
    def __init__(self, input: runs.EnrollmentInput) -> None:
        self.journey = Journey(input)

    @workflow.run
    async def run(self, input: runs.EnrollmentInput) -> runs.EnrollmentStatus:
        journey = self.journey
        try:
            await interpreter.walk_scenario(journey)
            await last_chance(journey)
            journey.check_stopped()
            ending = Finished("completed")
        except Finished as finished:
            ending = finished
        if ending.recorded:  # with the last push
            set_state(journey, ending.status, journey.state.step, error=ending.error)
        else:
            kept = await report(journey, ending.status, journey.state.step, error=ending.error)
            if kept is not None:  # the store ended it otherwise first: both say the same
                set_state(journey, kept.status, kept.step, error=kept.error)
        index(journey)
        return journey.state

    @workflow.signal
    def block(self, signal: runs.BlockSignal) -> None:
        self.journey.block(signal)

    @workflow.signal
    def unblock(self, signal: runs.UnblockSignal) -> None:
        self.journey.unblock(signal)

    @workflow.signal
    def migrate(self, signal: runs.MigrateSignal) -> None:
        self.journey.migrate(signal)

    @workflow.signal
    def exit(self, signal: runs.ExitSignal) -> None:
        self.journey.exit(signal)

    @workflow.signal
    def condition_met(self, signal: runs.ConditionMet) -> None:
        self.journey.condition_met(signal)

    @workflow.signal
    def date_changed(self, signal: date_runs.DateChanged) -> None:
        self.journey.date_changed(signal)

    @workflow.signal
    def survey_answered(self, signal: runs.SurveyAnswered) -> None:
        self.journey.survey_answered(signal)

    @workflow.signal
    def control(self, signal: runs.ControlSignal) -> None:
        self.journey.control(signal)

    @workflow.query
    def status(self) -> runs.EnrollmentStatus:
        return self.journey.state
