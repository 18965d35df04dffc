"""Prometheus metrics: what each process counts (prometheus_client's default registry), and
what the database says at scrape time (the same whichever process is asked).

The API serves both at `GET /metrics`; a worker serves its own counters on
STEPLINE_WORKER_METRICS_PORT, and Temporal's SDK metrics on STEPLINE_TEMPORAL_METRICS_ADDRESS."""

import asyncio
import time
from collections.abc import Awaitable, Iterator
from typing import TypeVar

from prometheus_client import Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlmodel import col, func, select
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from store import outbox
from store.db import Database
from store.outbox import Pending
from store.tables import Delivery, Enrollment
from store.types import utcnow
from workflows.types import HoldReason, Status

T = TypeVar("T")

# LINE's webhook event types; anything else is counted as "other" (one series, not one each)
EVENT_TYPES = frozenset(
    (
        "message unsend follow unfollow join leave memberJoined memberLeft postback "
        "videoPlayComplete beacon accountLink things module activated deactivated "
        "botSuspended botResumed membership"
    ).split()
)
STATUSES: tuple[str, ...] = Status.__args__
HOLD_REASONS: tuple[str, ...] = HoldReason.__args__
DELIVERY_STATUSES = ("reserved", "sent", "failed", "unconfirmed")

WEBHOOK_REQUESTS = Counter(
    "stepline_webhook_requests",
    "POST /webhooks/line requests by outcome: accepted, bad_signature, malformed",
    ["outcome"],
)
WEBHOOK_EVENTS = Counter(
    "stepline_webhook_events",
    "Webhook events by type and outcome: recorded (new), duplicate (a redelivery), "
    "ignored (no webhookEventId); then processed, or failed (tried again later)",
    ["type", "outcome"],
)
ENROLMENTS = Counter(
    "stepline_enrolments",
    "Enrollment workflows started, by scenario and trigger (follow, event, keyword, audience, switch)",
    ["scenario_id", "trigger"],
)
SENDS = Counter(
    "stepline_sends",
    "Message-step send attempts by outcome: sent, failed (LINE 4xx), rate_limited (429, "
    "retried), monthly_limit, unavailable (5xx, timeout: retried); not pushed: deferred, "
    "blocked, exited, ended, paused, capped, skipped (coupon closed or expired), already_sent, "
    "already_failed",
    ["outcome"],
)
HOLDS = Counter(
    "stepline_holds",
    "Steps held, by reason (counted when an enrollment goes into a hold)",
    ["reason"],
)
OUTBOX_DONE = Counter(
    "stepline_changes_done",
    "Outbox rows acted on, by kind: changes evaluated (webhook, friends, event, delivered) "
    "and commands Temporal took (start, signal, schedule_date)",
    ["kind"],
)
OUTBOX_FAILED = Counter(
    "stepline_changes_failed",
    "Attempts at an outbox row that failed and will be tried again, by kind",
    ["kind"],
)
OUTBOX_KINDS = (
    "webhook", "friends", "friends_part", "event", "delivered", "operation", "start", "signal",
    "schedule_date",
)  # fmt: skip
LINE_SECONDS = Histogram(
    "stepline_line_request_seconds",
    "LINE API call latency by endpoint and HTTP status (timeout, error: no answer)",
    ["endpoint", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0),
)


def event_type(value: str | None) -> str:
    return value if value in EVENT_TYPES else "other"


def webhook_event(kind: str | None, outcome: str) -> None:
    WEBHOOK_EVENTS.labels(type=event_type(kind), outcome=outcome).inc()


def webhook_received(rows: list[dict], fresh: list[str]) -> None:
    """An accepted webhook request and its events: recorded now, seen before, or without a
    webhookEventId (not recorded)."""
    WEBHOOK_REQUESTS.labels(outcome="accepted").inc()
    new = set(fresh)
    for row in rows:
        if not row["event_id"]:
            webhook_event(row["type"], "ignored")
        elif row["event_id"] in new:
            new.discard(row["event_id"])
            webhook_event(row["type"], "recorded")
        else:
            webhook_event(row["type"], "duplicate")


async def line_call(endpoint: str, call: Awaitable[T]) -> T:
    """Await one LINE API call, its latency observed under its HTTP status."""
    started, status = time.perf_counter(), "error"
    try:
        result = await call
        status = str(getattr(result, "status_code", None) or 200)
        return result
    except asyncio.CancelledError:
        status = "cancelled"
        raise
    except Exception as exc:
        code = getattr(exc, "status", None)  # the SDK's ApiException
        status = str(code) if code else "timeout" if isinstance(exc, TimeoutError) else "error"
        raise
    finally:
        LINE_SECONDS.labels(endpoint=endpoint, status=status).observe(time.perf_counter() - started)


# --- what the database says, read at scrape time -----------------------------------------


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
    """Four GROUP BYs, read as they are now."""
    async with db.reading() as session:
        enrollments = await session.exec(
            select(Enrollment.status, func.count()).group_by(col(Enrollment.status))
        )
        held = await session.exec(
            select(Enrollment.hold_reason, func.count())
            .where(Enrollment.status == "held")
            .group_by(col(Enrollment.hold_reason))
        )
        deliveries = await session.exec(
            select(Delivery.status, func.count()).group_by(col(Delivery.status))
        )
        return StoreCounts(
            dict(enrollments.all()),
            {reason or "unknown": count for reason, count in held.all()},
            dict(deliveries.all()),
            await outbox.pending(session),
        )


# --- the worker's endpoints --------------------------------------------------------------


def serve(port: int, address: str = "127.0.0.1"):
    """This process's counters at http://address:port/metrics, from a thread of its own;
    returns the server (its `shutdown()` stops it)."""
    try:
        server, _thread = start_http_server(port, addr=address)
    except OSError as exc:
        raise RuntimeError(
            f"STEPLINE_WORKER_METRICS_PORT {address}:{port}: {exc.strerror or exc}"
        ) from None
    return server


def temporal_runtime(bind_address: str) -> Runtime:
    """A Temporal runtime whose clients and workers export the SDK's metrics (temporal_…)
    at http://bind_address/metrics."""
    config = PrometheusConfig(bind_address=bind_address)  # the SDK's names and units
    try:
        return Runtime(telemetry=TelemetryConfig(metrics=config))
    except ValueError as exc:  # "Failed starting Prometheus exporter: Address already in use"
        raise RuntimeError(f"STEPLINE_TEMPORAL_METRICS_ADDRESS {bind_address}: {exc}") from None
