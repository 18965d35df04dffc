"""The FastAPI app: LINE webhook, admin API, health (`uvicorn api.app:app`)."""

from contextlib import asynccontextmanager

from fastapi import FastAPI
from linebot.v3.webhook import WebhookParser
from temporalio.client import Client

from api import dashboard, errors
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
    webhooks,
)
from core import logs
from core.browser_guard import BrowserGuard
from core.config import Settings, load_settings
from line.client import LinePusher
from store.db import Database
from store.definitions import Definitions
from triggers.friendship import PROFILE_TIMEOUT
from triggers.pipeline import build_pipeline
from triggers.temporal import connect_lazily

DESCRIPTION = """Step delivery (ステップ配信) for LINE Official Accounts.

Admin routes need `Authorization: Bearer $STEPLINE_ADMIN_TOKEN`. Errors are `{"detail": …}`;
422s list each problem with the `path` of the offending field."""


def create_app(settings: Settings | None = None, *, temporal: Client | None = None) -> FastAPI:
    settings = (settings or load_settings().require("LINE_CHANNEL_SECRET")).require_safe_admin()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        db = Database(settings.database_url)
        await db.migrate()
        client = temporal or await connect_lazily(settings)
        definitions = Definitions(db)
        # the profile API (display name, language) when this process holds a channel token
        line = (
            LinePusher.from_settings(settings, timeout=PROFILE_TIMEOUT)
            if settings.line_channel_access_token
            else None
        )
        # STEPLINE_WEBHOOK_PROCESSOR=worker: the workers act on what this process records
        dispatcher = (
            build_pipeline(
                db=db,
                temporal=client,
                task_queue=settings.task_queue,
                definitions=definitions,
                profiles=line,
            ).dispatcher
            if settings.webhook_processor == "api"
            else None
        )
        secret = (
            settings.line_channel_secret.get_secret_value() if settings.line_channel_secret else ""
        )
        app.state.services = Services(
            settings=settings,
            db=db,
            temporal=client,
            definitions=definitions,
            dispatcher=dispatcher,
            # the signature is checked over the raw bytes before this parser sees them
            # (api/routes/webhooks.py): once, not twice
            webhook_parser=WebhookParser(secret, skip_signature_verification=lambda: True),
            line=line,
        )
        if dispatcher is not None:
            await dispatcher.start()
        try:
            yield
        finally:
            await app.state.services.webhook_writer.close()
            if dispatcher is not None:
                await dispatcher.stop()
            if line is not None:
                await line.close()
            await db.close()

    app = FastAPI(title="stepline", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    errors.install(app)
    app.add_middleware(
        BodyLimit,
        default=settings.max_body_bytes,
        limits={"/webhooks/line": webhooks.MAX_BODY, "/friends/import": imports.IMPORT_LIMIT},
        hints={"/friends/import": imports.IMPORT_HINT},
    )
    # outermost: headers on every answer, cross-site form posts refused before anything runs
    app.add_middleware(BrowserGuard, cacheable=("/static/",), framing_only=("/docs", "/redoc"))
    routers = (
        webhooks,
        health,
        scenarios,
        scenario_lifecycle,
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
        return create_app(settings)
    raise AttributeError(name)
