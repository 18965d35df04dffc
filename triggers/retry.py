"""An admin retry of a `failed` enrollment, once the cause (a message LINE refused, an unknown
user …) is fixed: the failed message step is pushed again, then the rest of the path, in a new
run of the same workflow id. Steps already sent are not walked again (and their delivery rows
would answer `sent` anyway)."""

from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from domain.statuses import DeliveryStatus
from domain.steps import MessageStep
from scenarios.definition import ScenarioDefinition
from store import enrollments
from store.deliveries import deliveries_of
from store.scenarios import get_definition
from store.tables import Delivery, Enrollment, Friend, Scenario
from store.types import utcnow
from triggers.enrol import enrollment_input
from triggers.temporal import start_enrollment


class NotRetryable(Exception):
    """The enrollment is not in a state a retry can take (a 409)."""


def _refusal(
    enrollment: Enrollment,
    definition: ScenarioDefinition,
    delivery: Delivery | None,
    scenario: Scenario | None,
    friend: Friend | None,
) -> str | None:
    """Why this enrollment cannot be retried now; None when it can."""
    if enrollment.status != "failed":
        return f"the enrollment is {enrollment.status}: only a failed enrollment can be retried"
    step = definition.step(enrollment.current_step) if enrollment.current_step else None
    if not isinstance(step, MessageStep):
        return "the enrollment did not fail on a message step: nothing to retry"
    if delivery is not None and delivery.status == DeliveryStatus.RESERVED:
        return (
            f"LINE never answered the push of step {step.id!r}: it may have been delivered, "
            "and pushing it again could send it twice"
        )
    if scenario is None or scenario.status == "ended":
        return "the scenario has ended"
    if friend is None or not friend.following:
        return "the friend has blocked the account"
    if friend.epoch != enrollment.epoch and definition.on_unblock != "resume":
        return "the friend blocked and added the account again since: a newer enrollment runs"
    return None


async def retry_enrollment(
    session: AsyncSession, temporal: Client, *, task_queue: str, enrollment_id: str
) -> Enrollment:
    """Reopen the enrollment and start its new run, in one transaction: the row is locked
    until the run has started, so a second retry finds it no longer `failed` (409), and a
    run that cannot be started leaves the enrollment failed as it was.

    LookupError: no such enrollment. NotRetryable: why not."""
    enrollment = await session.get(Enrollment, enrollment_id, with_for_update=True)
    if enrollment is None:
        raise LookupError(f"no enrollment {enrollment_id!r}")
    definition = await get_definition(
        session, scenario_id=enrollment.scenario_id, version=enrollment.version
    )
    scenario = await session.get(Scenario, enrollment.scenario_id)
    friend = await session.get(Friend, enrollment.user_id)
    delivery = await session.get(Delivery, (enrollment.id, enrollment.current_step or ""))
    if problem := _refusal(enrollment, definition, delivery, scenario, friend):
        raise NotRetryable(problem)
    assert scenario is not None and friend is not None and enrollment.current_step
    ledger = await deliveries_of(session, enrollment_id=enrollment.id)
    sent = [row.step_id for row in ledger if row.status == DeliveryStatus.SENT]
    await enrollments.reopen(session, enrollment=enrollment, at=utcnow())
    started = await start_enrollment(
        temporal,
        task_queue=task_queue,
        definition=definition,
        again=True,
        input=enrollment_input(
            enrollment.id,
            scenario,
            enrollment.version,
            friend,
            definition=definition,
            resume_at=enrollment.current_step,
            sent=sent,
        ),
    )
    if not started:
        raise NotRetryable("a retry of this enrollment is already running")
    await session.commit()
    return enrollment
