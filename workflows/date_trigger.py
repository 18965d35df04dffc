"""A date-triggered scenario's schedule for one friend (id `date:{scenario_id}:{user_id}`): a
durable timer until (the friend's date + offset) at `at` in the scenario's timezone, then an
activity enrols the friend; `yearly` goes on to next year's (a new run each time, so the
history stays short). `date_changed` moves the timer to the friend's corrected date. No date
(or, not yearly, one past) ends the schedule: a later change of the attribute starts it again
(triggers.temporal.schedule_dates, by signal-with-start)."""

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from core.dates import next_occurrence
    from core.windows import local_text
    from domain.dates import date_words
    from scenarios.date_runs import DateChanged, DateFire, DateFireResult, DateTriggerInput
    from workflows import calls


@workflow.defn
class DateTriggerWorkflow:
    @workflow.init
    def __init__(self, input: DateTriggerInput) -> None:
        self.input = input
        self.value, self.value_at = input.value, input.value_at
        self.moved = False

    @workflow.run
    async def run(self, input: DateTriggerInput) -> str:
        while True:
            self.moved = False
            if workflow.info().is_continue_as_new_suggested():  # many corrections: a new run
                workflow.continue_as_new(self.carried(self.input.after))
            settings = self.input
            after = max(workflow.now(), settings.after or workflow.now())
            due = self.next(after)
            if due is None:
                return "no date ahead"
            words = date_words(settings.attribute, settings.offset, settings.at)
            local = local_text(due, settings.timezone)
            workflow.set_current_details(f"{settings.user_id}: enrols at {words} ({local})")
            try:
                await workflow.wait_condition(
                    lambda: self.moved,
                    timeout=due - workflow.now(),
                    timeout_summary=f"until {words} ({local})",
                )
                continue  # the date (or the trigger) changed: compute the moment again
            except TimeoutError:
                pass
            if self.moved:
                continue
            result = await self.fire(due)
            if result is not None and result.reschedule is not None:
                self.reschedule(result.reschedule)  # the trigger and date as they are now
            if result is not None and result.moved:
                continue  # changed, its signal lost: move, not fire
            if result is not None and result.stop:
                return result.reason or "stopped"
            if not self.input.yearly:
                return "enrolled" if result and result.enrollment_id else "fired"
            workflow.continue_as_new(self.carried(due))

    def carried(self, after: datetime | None) -> DateTriggerInput:
        """The input of the next run: the date as it is now known."""
        return self.input.model_copy(
            update={"value": self.value, "value_at": self.value_at, "after": after}
        )

    def next(self, after: datetime) -> datetime | None:
        return next_occurrence(
            self.value,
            self.input.offset,
            self.input.at,
            self.input.timezone,
            yearly=self.input.yearly,
            after=after,
        )

    async def fire(self, due: datetime) -> DateFireResult | None:
        try:
            return await calls.fire_date_trigger(
                DateFire(scenario_id=self.input.scenario_id, user_id=self.input.user_id, due=due),
                f"enrol {self.input.user_id} in {self.input.scenario_id}",
            )
        except Exception as err:  # given up after hours: this year's is missed, not the next
            workflow.logger.warning("date trigger %s: not enrolled: %s", self.input.user_id, err)
            return None

    @workflow.signal
    def reschedule(self, settings: DateTriggerInput) -> None:
        """The scenario's trigger and the friend's date as they are now (a new version of the
        scenario, a date read again): the next moment is computed from them."""
        self.input = settings.model_copy(update={"after": self.input.after})
        if settings.value_at is not None:
            self.date_changed(
                DateChanged(
                    attribute=settings.attribute, value=settings.value, at=settings.value_at
                )
            )
        self.moved = True

    @workflow.signal
    def date_changed(self, signal: DateChanged) -> None:
        if self.value_at is not None and signal.at < self.value_at:
            return  # read before the value it has: older news
        self.value, self.value_at = signal.value, signal.at
        self.moved = True
