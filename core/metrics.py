"""Prometheus metrics: what each process counts (prometheus_client's default registry); what
the database says at scrape time is store/metrics.py.

The API serves both at `GET /metrics`; a worker serves its own counters on
STEPLINE_WORKER_METRICS_PORT (with its /healthz and /readyz, core/probes.py), and Temporal's SDK
metrics on STEPLINE_TEMPORAL_METRICS_ADDRESS."""

import asyncio
import json
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import Counter, Gauge, Histogram, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from core.probes import Probes

T = TypeVar("T")

# LINE's webhook event types; anything else is counted as "other" (one series, not one each)
EVENT_TYPES = frozenset(
    (
        "message unsend follow unfollow join leave memberJoined memberLeft postback "
        "videoPlayComplete beacon accountLink things module activated deactivated "
        "botSuspended botResumed membership"
    ).split()
)

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
    "Message-step send attempts by outcome: sent, replied (a first message as a free reply), "
    "reply_lost (a reply whose answer was lost: not pushed), failed (LINE 4xx), rate_limited (429, "
    "retried), monthly_limit, unavailable (5xx, timeout: retried); not pushed: deferred, "
    "blocked, exited, ended, paused, capped, skipped (coupon closed or expired), already_sent, "
    "already_failed",
    ["outcome"],
)
REPLIES = Counter(
    "stepline_replies",
    "First messages offered a webhook event's reply token (replies are not counted in LINE's "
    "plan), by outcome: sent (one counted message saved), lost (LINE's answer was lost: never "
    "pushed again), refused (LINE refused the token: pushed instead), late (the token was too "
    "old to try: pushed instead)",
    ["outcome"],
)
MULTICASTS = Counter(
    "stepline_multicasts",
    "LINE multicast requests for messages due to several friends at once, by outcome: sent, "
    "refused (LINE 4xx: each friend pushed instead), failed (5xx, 429, timeout: sent again "
    "with the batch's retry key)",
    ["outcome"],
)
MULTICAST_RECIPIENTS = Counter(
    "stepline_multicast_recipients",
    "Friends reached through multicasts LINE took (each a delivery that needed no push of its own)",
)
QUOTA_FORECAST = Gauge(
    "stepline_quota_forecast_messages",
    "The month's counted messages projected by its end (used so far plus the pushes the "
    "waiting enrollments will make), as of the last quota forecast; month: this or next",
    ["month"],
)
QUOTA_RUNS_OUT_IN_DAYS = Gauge(
    "stepline_quota_runs_out_in_days",
    "Days until the plan (or its reserve) is projected to be reached, as of the last quota "
    "forecast; -1: not within this month and the next",
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


# --- the worker's endpoints --------------------------------------------------------------


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # a probe every few seconds
        pass


def endpoints(probes: Probes | None = None) -> Callable:
    """The WSGI app of the worker's port: /metrics, and with `probes` /healthz and /readyz."""
    counters = make_wsgi_app()
    answers = {"/healthz": probes.alive, "/readyz": probes.ready} if probes else {}

    def app(environ: dict, start_response: Callable) -> list[bytes]:
        answer = answers.get(environ.get("PATH_INFO", ""))
        if answer is None:
            return counters(environ, start_response)
        code, body = answer()
        payload = json.dumps(body).encode()
        status = "200 OK" if code == 200 else f"{code} Service Unavailable"
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
        start_response(status, headers + [("Cache-Control", "no-store")])
        return [payload]

    return app


def serve(
    port: int,
    address: str = "127.0.0.1",
    probes: Probes | None = None,
    setting: str = "STEPLINE_WORKER_METRICS_PORT",
):
    """This process's counters at http://address:port/metrics — and, given `probes`, its
    liveness at /healthz and readiness at /readyz (core/probes.py) — from a thread of its own;
    returns the server (its `shutdown()` stops it)."""
    try:
        found = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, *_, where = found[0]  # an IPv6 address needs its family
        # a thread per request, as prometheus_client's own server
        server_class = type("Server", (ThreadingWSGIServer,), {"address_family": family})
        server = make_server(where[0], port, endpoints(probes), server_class, handler_class=_Quiet)
    except OSError as exc:
        raise RuntimeError(f"{setting} {address}:{port}: {exc.strerror or exc}") from None
    threading.Thread(target=server.serve_forever, name="probes", daemon=True).start()
    return server


def temporal_runtime(bind_address: str) -> Runtime:
    """A Temporal runtime whose clients and workers export the SDK's metrics (temporal_…)
    at http://bind_address/metrics."""
    config = PrometheusConfig(bind_address=bind_address)  # the SDK's names and units
    try:
        return Runtime(telemetry=TelemetryConfig(metrics=config))
    except ValueError as exc:  # "Failed starting Prometheus exporter: Address already in use"
        raise RuntimeError(f"STEPLINE_TEMPORAL_METRICS_ADDRESS {bind_address}: {exc}") from None
