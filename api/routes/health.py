"""GET /healthz: 200 when the database and Temporal answer, 503 naming what does not; `status`
says `degraded` (still 200: webhooks and the admin API are taken) while a change accepted has
waited more than a minute to be acted on, with the reason.

Anyone may ask (a load balancer has no token), so it says *what* is unreachable and what kind
of error holds changes back, never an address or an error's text: those go to the log (and,
behind the login, to the dashboard's banner)."""

import asyncio
import logging
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from api.deps import ServicesDep
from store import outbox
from store.outbox import Pending
from store.types import utcnow

router = APIRouter(tags=["health"])
log = logging.getLogger("stepline.health")
TIMEOUT = 2.0
STALE_AFTER = 60.0  # seconds a change may wait before the service reads as degraded


@router.get("/healthz")
async def healthz(services: ServicesDep) -> JSONResponse:
    """Is the database reachable? Is Temporal? Do accepted changes wait too long?"""
    pending: list[Pending] = []

    async def changes() -> None:
        async with services.db.reading() as session:
            pending.append(await outbox.pending(session))

    checks = {
        "database": changes(),
        "temporal": services.temporal.workflow_service.get_system_info(GetSystemInfoRequest()),
    }
    report: dict[str, Any] = {}
    for name, check in checks.items():
        try:
            await asyncio.wait_for(check, TIMEOUT)
            report[name] = "ok"
        except TimeoutError:
            log.warning("/healthz: %s gave no answer within %g s", name, TIMEOUT)
            report[name] = "unreachable"
        except Exception as exc:
            log.warning("/healthz: %s unreachable: %s: %s", name, type(exc).__name__, exc)
            report[name] = "unreachable"
    down = [name for name, state in report.items() if state != "ok"]
    if pending:
        report["changes"] = describe(pending[0])
    if down:
        return JSONResponse(
            {"status": "unavailable", "detail": f"{' and '.join(down)} unreachable", **report},
            status_code=503,
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
