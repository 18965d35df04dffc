"""GET /metrics: Prometheus's text format, this process's counters and the database's gauges.
Open unless STEPLINE_METRICS_TOKEN is set; then it asks for that bearer token."""

import hmac
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from api.deps import ServicesDep
from store import metrics as store_metrics

router = APIRouter(tags=["operations"])
log = logging.getLogger("stepline.metrics")
_bearer = HTTPBearer(auto_error=False, description="STEPLINE_METRICS_TOKEN, when it is set")


def require_metrics_token(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    token = services.settings.metrics_token
    expected = token.get_secret_value() if token else ""  # unset or empty: open
    given = credentials.credentials if credentials else ""
    if expected and not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="missing or wrong bearer token (STEPLINE_METRICS_TOKEN)",
            headers={"WWW-Authenticate": "Bearer"},
        )


# not in the OpenAPI description: for Prometheus, not for the admin API's clients
@router.get(
    "/metrics",
    response_class=Response,
    dependencies=[Depends(require_metrics_token)],
    include_in_schema=False,
)
async def prometheus_metrics(services: ServicesDep) -> Response:
    """Webhooks, enrolments, sends by outcome, holds by reason, LINE latency (what this
    process did; the worker's own at STEPLINE_WORKER_METRICS_PORT), and enrollments and
    deliveries by status as the database has them now."""
    try:
        counts = await store_metrics.store_counts(services.db)
    except Exception as exc:  # the scrape still answers: stepline_store_up 0
        log.warning("metrics: database not read: %s", exc)
        counts = store_metrics.StoreCounts(None)
    store = CollectorRegistry(auto_describe=False)
    store.register(counts)
    body = generate_latest(REGISTRY) + generate_latest(store)
    return Response(body, media_type=CONTENT_TYPE_PLAIN_0_0_4)
