"""GET /healthz: 200 when the database and Temporal answer, 503 naming what does not; `status`
says `degraded` (still 200: webhooks and the admin API are taken) while a change accepted has
waited more than a minute to be acted on, with the reason."""

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from api.deps import ServicesDep
from store import outbox
from store.outbox import Pending
from store.types import utcnow

router = APIRouter(tags=["health"])
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
            report[name] = f"unreachable: no answer within {TIMEOUT:g} s"
        except Exception as exc:
            report[name] = f"unreachable: {type(exc).__name__}: {exc}"[:300]
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
        "last_error": pending.last_error,
    }


def delay(pending: Pending) -> str:
    """Why changes wait, in words (the dashboard's banner says the same)."""
    minutes = pending.age() / 60
    words = f"{pending.count} change(s) waiting, the oldest for {minutes:.1f} min"
    if pending.failing_since is not None and pending.last_error:
        since = pending.failing_since.astimezone(utcnow().tzinfo).strftime("%H:%M:%S UTC")
        return f"{words}: failing since {since}: {pending.last_error}"
    return f"{words} (no dispatcher at work? STEPLINE_WEBHOOK_PROCESSOR)"
