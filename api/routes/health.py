"""GET /healthz: 200 when the database and Temporal answer, 503 naming what does not."""

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from api.deps import ServicesDep

router = APIRouter(tags=["health"])
TIMEOUT = 2.0


@router.get("/healthz")
async def healthz(services: ServicesDep) -> JSONResponse:
    """Is the database reachable? Is Temporal?"""
    checks = {
        "database": services.db.ping(),
        "temporal": services.temporal.workflow_service.get_system_info(GetSystemInfoRequest()),
    }
    report: dict[str, str] = {}
    for name, check in checks.items():
        try:
            await asyncio.wait_for(check, TIMEOUT)
            report[name] = "ok"
        except TimeoutError:
            report[name] = f"unreachable: no answer within {TIMEOUT:g} s"
        except Exception as exc:
            report[name] = f"unreachable: {type(exc).__name__}: {exc}"[:300]
    down = [name for name, state in report.items() if state != "ok"]
    if down:
        return JSONResponse(
            {"detail": f"{' and '.join(down)} unreachable", **report}, status_code=503
        )
    return JSONResponse(report)
