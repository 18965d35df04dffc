"""The composition root: every process's object graph is built here, once, with its lifetime.

- `api_role`: what `uvicorn api.app:app` runs on (api/app.py wraps it in its Services);
- `worker_role`, `worker_activities` and `dispatching`: what `python worker.py` runs on;
- where the `stepline` commands find the API and the emulator is app/endpoints.py's (the
  standard library alone, so a command starts quickly).
"""

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass

from temporalio.client import Client

from activities.dates import DateActivities
from activities.journeys import JourneyActivities
from activities.progress import StoreActivities
from activities.richmenu import RichMenuActivities
from activities.sending import SendActivities
from activities.survey import SurveyActivities
from app import processing
from app.forecast_watch import ForecastWatch
from core import metrics
from core.config import Settings
from line.client import LinePusher
from store.db import Database
from store.definitions import Definitions
from triggers import connection
from triggers.dispatch import Dispatcher
from triggers.friendship import PROFILE_TIMEOUT
from triggers.pipeline import Pipeline, build_pipeline
from workflows import contract

log = logging.getLogger("stepline.worker")


@dataclass
class Runtime:
    """What a process runs on. Read its attributes when they are needed, not once: a test
    may put another Temporal client (or settings) in their place while the process runs."""

    settings: Settings
    db: Database
    temporal: Client
    definitions: Definitions
    dispatcher: Dispatcher | None = None  # None: another process acts on the changes
    line: LinePusher | None = None  # LINE's API, when this process holds a channel token


async def open_database(settings: Settings) -> Database:
    """The store, its schema migrated to head."""
    db = Database(settings.database_url)
    await db.migrate()
    return db


def pipeline(
    runtime: Runtime, *, profiles: LinePusher | None = None, eager: bool = False
) -> Pipeline:
    """The change pipeline on this process's store and Temporal client."""
    return build_pipeline(
        db=runtime.db,
        temporal=runtime.temporal,
        task_queue=runtime.settings.task_queue,
        definitions=runtime.definitions,
        profiles=profiles,
        eager=eager,
    )


@asynccontextmanager
async def api_role(settings: Settings, *, temporal: Client | None = None) -> AsyncIterator[Runtime]:
    """The API's store, Temporal client (connected on first use: the API starts while
    Temporal is down), LINE's profile API (with a channel token) and, with
    STEPLINE_WEBHOOK_PROCESSOR=api, the dispatcher, started; all stopped and closed at the end."""
    db = await open_database(settings)
    runtime = Runtime(
        settings=settings,
        db=db,
        temporal=temporal or await connection.connect_lazily(settings),
        definitions=Definitions(db),
        line=profile_source(settings),
    )
    if settings.webhook_processor == "api":  # else the workers act on what this one records
        runtime.dispatcher = pipeline(runtime, profiles=runtime.line).dispatcher
        await runtime.dispatcher.start()
    watch = ForecastWatch(settings, db, runtime.definitions, runtime.line)
    watch.start()
    try:
        # `process`: the dispatcher in a process of its own, kept by this one
        beside = processing.beside if settings.webhook_processor == "process" else nullcontext
        async with beside(settings):
            yield runtime
    finally:
        await watch.stop()
        if runtime.dispatcher is not None:
            await runtime.dispatcher.stop()
        if runtime.line is not None:
            await runtime.line.close()
        await db.close()


@asynccontextmanager
async def processing_role(settings: Settings) -> AsyncIterator[Dispatcher]:
    """STEPLINE_WEBHOOK_PROCESSOR=process, the child's (app/processing.py): `dispatching` on a
    store connection and a Temporal client (connected on first use) of its own, no eager
    starts (no worker here); closed at the end."""
    db = await open_database(settings)
    try:
        client = await connection.connect_lazily(settings)
        async with dispatching(settings, client, db, eager=False) as dispatcher:
            yield dispatcher
    finally:
        await db.close()


@asynccontextmanager
async def worker_role(settings: Settings) -> AsyncIterator[Runtime]:
    """The worker's store, Temporal client (a server still starting is waited for) and LINE
    client for its pushes; closed at the end. The Temporal worker itself is worker.py's."""
    db = await open_database(settings)
    try:
        client = await connect(settings)
        line = LinePusher.from_settings(settings)
        try:
            yield Runtime(
                settings=settings, db=db, temporal=client, definitions=Definitions(db), line=line
            )
        finally:
            await line.close()
    finally:
        await db.close()


def worker_activities(
    client: Client,
    db: Database,
    line: LinePusher,
    *,
    task_queue: str,
    public_url: str,
    push_rate: float,
    multicast: bool = True,
) -> list[Callable]:
    """Every activity the workflows call (workflows/contract.py), on one store and LINE client.
    What they record (a switch, a date's enrollment, a tag) is acted on at once on this
    worker's client; a dispatcher's rounds run where STEPLINE_WEBHOOK_PROCESSOR says."""
    definitions = Definitions(db)
    changes = build_pipeline(
        db=db, temporal=client, task_queue=task_queue, definitions=definitions, eager=True
    )
    return contract.implemented(
        SendActivities(
            db,
            line,
            definitions,
            public_url=public_url,
            push_rate=push_rate,
            expedite=changes.dispatcher.expedite,
            multicast=multicast,
        ),
        StoreActivities(db),
        JourneyActivities(db, changes.enroller),
        RichMenuActivities(db, line),
        SurveyActivities(db),
        DateActivities(db, definitions, changes.enroller),
    )


@asynccontextmanager
async def dispatching(
    settings: Settings, client: Client, db: Database, *, eager: bool = True
) -> AsyncIterator[Dispatcher]:
    """STEPLINE_WEBHOOK_PROCESSOR=worker: the changes the API (and the activities) recorded
    are acted on here, with this worker's client, so each enrollment's first workflow task
    comes back with the answer to its start (eager workflow start; `eager=False` where no
    worker polls on the client: the processing child)."""
    profiles = profile_source(settings)
    runtime = Runtime(settings=settings, db=db, temporal=client, definitions=Definitions(db))
    dispatcher = pipeline(runtime, profiles=profiles, eager=eager).dispatcher
    await dispatcher.start()
    try:
        yield dispatcher
    finally:
        await dispatcher.stop()
        if profiles is not None:
            await profiles.close()


def profile_source(settings: Settings) -> LinePusher | None:
    """LINE's profile API for the dispatcher's follows (a short timeout), with a channel
    token; None without one (the follows are taken without profiles)."""
    if not settings.line_channel_access_token:
        return None
    return LinePusher.from_settings(settings, timeout=PROFILE_TIMEOUT)


async def connect(settings: Settings) -> Client:
    """Temporal's client (triggers/connection.py): a server still starting is waited for.
    With STEPLINE_TEMPORAL_METRICS_ADDRESS, on a runtime that exports Temporal's SDK metrics
    there."""
    address = settings.temporal_metrics_address
    runtime = metrics.temporal_runtime(address) if address else None
    return await connection.connect(settings, runtime=runtime)
