"""The probes of a container orchestrator (Kubernetes, compose):

- `GET /healthz`, liveness: 200 while the process runs and its event loop answers. It asks
  nothing of the database or of Temporal: their outage must not get every API process restarted.
- `GET /readyz`, readiness: 200 when the database and Temporal answer and the database's schema
  is at the migrations' head, 503 naming what is not (and `shutting down` once the app stops);
  `status` says `degraded` (still 200: webhooks and the admin API are taken) while a change
  accepted has waited more than a minute to be acted on, with the reason.

Anyone may ask (a load balancer has no token), so they say *what* is unreachable and what kind
of error holds changes back, never an address or an error's text: those go to the log (and,
behind the login, to the dashboard's banner)."""

import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from api.deps import ServicesDep
from app.probes import schema
from core.probes import OK, run_checks
from store import outbox
from store.outbox import Pending
from store.types import utcnow

router = APIRouter(tags=["health"])
log = logging.getLogger("stepline.health")
TIMEOUT = 2.0  # seconds each check of /readyz may take; they run at the same time
STALE_AFTER = 60.0  # seconds a change may wait before the service reads as degraded
Check = Literal["database", "temporal", "migrations"]


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers. Asks nothing of the database or Temporal."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={503: {"description": "not ready: `detail` names what (or `shutting down`)"}},
)
async def readyz(
    request: Request,
    services: ServicesDep,
    exclude: Annotated[
        list[Check],
        Query(
            description="checks still run and reported but not counted, as Kubernetes' own"
            " `/readyz?exclude=…`: a load balancer in front of the webhook asks"
            " `exclude=temporal`, since changes are taken while Temporal is away"
        ),
    ] = [],  # noqa: B006 (FastAPI copies it)
) -> JSONResponse:
    """Readiness: is the database reachable, its schema at head? Is Temporal reachable? Do
    accepted changes wait too long?"""
    if getattr(request.app.state, "stopping", False):  # set as the shutdown begins (api/app.py)
        return JSONResponse({"status": "unavailable", "detail": "shutting down"}, status_code=503)
    pending: list[Pending] = []

    async def changes() -> str:
        async with services.db.reading() as session:
            pending.append(await outbox.pending(session))
        return OK

    async def temporal() -> str:
        await services.temporal.workflow_service.get_system_info(GetSystemInfoRequest())
        return OK

    report: dict[str, Any] = await run_checks(
        {"database": changes, "temporal": temporal, "migrations": lambda: schema(services.db)},
        TIMEOUT,
        where="/readyz",
        logger=log,
    )
    if report["migrations"] == "unreachable":  # not read (no database): nothing known
        report["migrations"] = "unknown"
    counted = {name: state for name, state in report.items() if name not in exclude}
    down = [name for name, state in counted.items() if state == "unreachable"]
    problems = [f"{' and '.join(down)} unreachable"] if down else []
    if counted.get("migrations") == "not at head":
        problems.append("migrations not at head")
    elif counted.get("migrations") == "unknown" and report["database"] != "unreachable":
        problems.append("migrations unknown")
    if pending:
        report["changes"] = describe(pending[0])
    if problems:
        return JSONResponse(
            {"status": "unavailable", "detail": "; ".join(problems), **report}, status_code=503
        )
    if pending and pending[0].age() > STALE_AFTER:
        return JSONResponse({"status": "degraded", "detail": delay(pending[0]), **report})
    return JSONResponse({"status": "ok", **report})


def describe(pending: Pending) -> dict[str, Any]:
    return {
        "pending": pending.count,
        "oldest_seconds": round(pending.age(), 1),
        "failing_since": pending.failing_since.isoformat() if pending.failing_since else None,
        "last_error": kind_of(pending.last_error),
    }


def kind_of(error: str | None) -> str | None:
    """An error's kind without its text (`Temporal unreachable`, `ValueError`)."""
    return error.split(":", 1)[0].strip()[:100] if error else None


def delay(pending: Pending, *, full: bool = False) -> str:
    """Why changes wait, in words: the error's kind, or its whole text (`full`, for the
    dashboard's banner behind the login)."""
    minutes = pending.age() / 60
    words = f"{pending.count} change(s) waiting, the oldest for {minutes:.1f} min"
    if pending.failing_since is not None and pending.last_error:
        since = pending.failing_since.astimezone(utcnow().tzinfo).strftime("%H:%M:%S UTC")
        error = pending.last_error if full else kind_of(pending.last_error)
        return f"{words}: failing since {since}: {error}"
    return f"{words} (no dispatcher at work? STEPLINE_WEBHOOK_PROCESSOR)"
