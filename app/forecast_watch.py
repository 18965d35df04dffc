"""The API's own quota forecast every STEPLINE_QUOTA_FORECAST_SECONDS: /metrics and the log's
warning stay current when nobody looks at the dashboard."""

import asyncio
import contextlib
import logging

from app.forecast import forecast
from core.config import Settings
from store.db import Database
from store.definitions import Definitions

log = logging.getLogger("stepline.forecast")
FIRST_AFTER = 60.0  # seconds after the start: the process is serving by then


class ForecastWatch:
    def __init__(self, settings: Settings, db: Database, definitions: Definitions, line: object):
        self.settings, self.db, self.definitions, self.line = settings, db, definitions, line
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        if self.settings.quota_forecast_seconds > 0:
            self.task = asyncio.create_task(self._loop(), name="quota-forecast")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def _loop(self) -> None:
        await asyncio.sleep(FIRST_AFTER)
        while True:
            try:
                async with self.db.reading() as session:
                    await forecast(session, self.definitions, self.settings, self.line)
            except Exception:  # the next round tries again; the API goes on
                log.exception("quota forecast failed")
            await asyncio.sleep(self.settings.quota_forecast_seconds)
