"""The banner on every dashboard page: what is queued and why — changes accepted and not acted
on yet (Temporal away since when, and its last error), and bulk operations under way."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from api.dashboard.auth import require_viewer
from api.dashboard.web import PageRoute, render
from api.deps import ServicesDep
from store import operations, outbox

router = APIRouter(route_class=PageRoute, dependencies=[Depends(require_viewer)])
SHOW_AFTER = 5.0  # seconds a change waits before the banner speaks of it (no flicker)


@router.get("/dashboard/queue")
async def queue_banner(
    request: Request,
    services: ServicesDep,
    fragment: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The banner's HTML (empty when nothing waits), refreshed by every page."""
    async with services.db.reading() as session:
        pending = await outbox.pending(session)
        running = await operations.running(session, limit=10)
    context = {
        "pending": pending,
        "waiting": pending.count and (pending.age() > SHOW_AFTER or pending.failing_since),
        "running": running,
    }
    return render(request, "_queue.html", context)
