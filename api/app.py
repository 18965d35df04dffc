"""The FastAPI app: LINE webhook, admin API, health (`uvicorn api.app:app`)."""

from contextlib import asynccontextmanager

from fastapi import FastAPI
from temporalio.client import Client

from api import dashboard, docs_pages, errors
from api.bodylimit import BodyLimit
from api.deps import Services
from api.routes import (
    audiences,
    channel,
    coupons,
    enrollments,
    events,
    friends,
    health,
    imports,
    join,
    links,
    metrics,
    operations,
    scenario_lifecycle,
    scenarios,
    templates,
    test_sends,
    webhooks,
)
from app.roles import api_role
from core import heap, logs
from core.browser_guard import BrowserGuard
from core.config import Settings, load_settings
from triggers import connection

DESCRIPTION = """Step delivery (ステップ配信) for LINE Official Accounts.

Admin routes need `Authorization: Bearer $STEPLINE_ADMIN_TOKEN`. Errors are `{"detail": …}`;
422s list each problem with the `path` of the offending field."""


def create_app(
    settings: Settings | None = None,
    *,
    temporal: Client | None = None,
    settle_heap: bool = False,
) -> FastAPI:
    """The app on these settings (default: the environment's). `settle_heap`: the process is
    this app's alone (uvicorn's), its start-up heap frozen once it is up (core/heap.py)."""
    settings = (settings or load_settings().require("LINE_CHANNEL_SECRET")).require_safe_admin()
    if temporal is None:
        connection.require_usable(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        async with api_role(settings, temporal=temporal) as runtime:
            app.state.services = Services.around(runtime)
            app.state.stopping = False
            if settle_heap:  # what start-up made, out of every full collection's walk
                heap.settle()
            try:
                yield
            finally:  # webhooks being answered are written before the dispatcher stops
                app.state.stopping = True  # /readyz: 503 `shutting down` from now on
                await app.state.services.webhook_writer.close()

    app = FastAPI(
        title="stepline",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # docs_pages: the same pages, their assets served from here
        redoc_url=None,
    )
    errors.install(app)
    docs_pages.install(app)
    app.add_middleware(
        BodyLimit,
        default=settings.max_body_bytes,
        limits={
            "/webhooks/line": webhooks.MAX_BODY,
            "/friends/import": imports.IMPORT_LIMIT,
            "/dashboard/friends/import": imports.IMPORT_LIMIT,  # the same file, from a browser
        },
        hints={"/friends/import": imports.IMPORT_HINT},
    )
    # outermost: headers on every answer, cross-site form posts refused before anything runs
    app.add_middleware(BrowserGuard, cacheable=("/static/",), docs=("/docs", "/redoc"))
    routers = (
        webhooks,
        health,
        scenarios,
        scenario_lifecycle,
        test_sends,
        operations,
        templates,
        imports,
        friends,
        audiences,
        enrollments,
        events,
        links,
        channel,
        coupons,
        metrics,
    )
    for module in (*routers, join, dashboard):
        app.include_router(module.router)
    return app


def __getattr__(name: str) -> FastAPI:
    # `uvicorn api.app:app` builds the app (and checks the settings) only when asked for it.
    if name == "app":
        settings = load_settings().require("LINE_CHANNEL_SECRET")
        logs.configure(settings.log_format)  # after uvicorn's own logging set-up
        return create_app(settings, settle_heap=True)
    raise AttributeError(name)
