"""Gauges of what the database says, read at scrape time (the same whichever process is
asked): enrollments by status, held ones by reason, deliveries by status, changes waiting.
The API serves them beside its counters (core/metrics.py) at `GET /metrics`."""

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlmodel import col, func, select

from domain.statuses import DeliveryStatus, HoldReason, Status
from store import outbox
from store.db import Database
from store.enrollment_ids import counted
from store.outbox import Pending
from store.tables import Delivery, Enrollment
from store.types import utcnow

STATUSES: tuple[str, ...] = Status.__args__
HOLD_REASONS: tuple[str, ...] = HoldReason.__args__
DELIVERY_STATUSES: tuple[str, ...] = tuple(DeliveryStatus)
OUTBOX_KINDS = (
    "webhook", "friends", "friends_part", "event", "delivered", "operation", "start", "signal",
    "schedule_date", "webhook_batch", "start_test",
)  # fmt: skip


class StoreCounts(Collector):
    """Gauges of rows as they are: enrollments by status, held ones by reason, deliveries
    by status (every known value, zeros included, so that series do not come and go)."""

    def __init__(
        self,
        enrollments: dict[str, int] | None,
        held: dict[str, int] | None = None,
        deliveries: dict[str, int] | None = None,
        pending: Pending | None = None,
    ):
        self.enrollments, self.held, self.deliveries = enrollments, held or {}, deliveries or {}
        self.pending = pending

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("stepline_store_up", "Whether the database answered this scrape")
        up.add_metric([], 0 if self.enrollments is None else 1)
        yield up
        if self.enrollments is None:
            return
        for name, text, label, known, counts in (
            ("stepline_enrollments", "Enrollments by status", "status", STATUSES,
             self.enrollments),
            ("stepline_held_enrollments", "Enrollments held now, by reason", "reason",
             HOLD_REASONS, self.held),
            ("stepline_deliveries", "Delivery rows by status", "status", DELIVERY_STATUSES,
             self.deliveries),
        ):  # fmt: skip
            family = GaugeMetricFamily(name, text, labels=[label])
            for value in sorted(set(known) | set(counts)):
                family.add_metric([value], counts.get(value, 0))
            yield family
        if self.pending is not None:
            yield from _pending(self.pending)


def _pending(pending: Pending) -> Iterator[GaugeMetricFamily]:
    family = GaugeMetricFamily(
        "stepline_changes_pending",
        "Changes accepted and not acted on yet (outbox rows), by kind",
        labels=["kind"],
    )
    for kind in sorted(set(OUTBOX_KINDS) | set(pending.by_kind)):
        family.add_metric([kind], pending.by_kind.get(kind, 0))
    yield family
    age = GaugeMetricFamily(
        "stepline_changes_oldest_age_seconds",
        "How long the change waiting longest has waited (0: none waits)",
    )
    age.add_metric([], pending.age())
    yield age
    failing = GaugeMetricFamily(
        "stepline_changes_failing_seconds",
        "How long the change failing longest has been failing (Temporal away, …; 0: none)",
    )
    since = pending.failing_since
    failing.add_metric([], max(0.0, (utcnow() - since).total_seconds()) if since else 0.0)
    yield failing


async def store_counts(db: Database) -> StoreCounts:
    """Four GROUP BYs, read as they are now (test sends' runs and pushes left out)."""
    async with db.reading() as session:
        enrollments = await session.exec(
            select(Enrollment.status, func.count())
            .where(counted(Enrollment.id))
            .group_by(col(Enrollment.status))
        )
        held = await session.exec(
            select(Enrollment.hold_reason, func.count())
            .where(Enrollment.status == "held", counted(Enrollment.id))
            .group_by(col(Enrollment.hold_reason))
        )
        deliveries = await session.exec(
            select(Delivery.status, func.count())
            .where(counted(Delivery.enrollment_id))
            .group_by(col(Delivery.status))
        )
        return StoreCounts(
            dict(enrollments.all()),
            {reason or "unknown": count for reason, count in held.all()},
            dict(deliveries.all()),
            await outbox.pending(session),
        )
