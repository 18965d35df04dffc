"""Scenario versions never change once written, so each process reads one at most once."""

from sqlmodel.ext.asyncio.session import AsyncSession

from domain.steps import MessageStep
from scenarios.definition import ScenarioDefinition
from store.db import Database
from store.scenarios import get_definition


class Definitions:
    def __init__(self, db: Database):
        self.db = db
        self._cache: dict[tuple[str, int], ScenarioDefinition] = {}

    async def get(
        self, scenario_id: str, version: int, *, session: AsyncSession | None = None
    ) -> ScenarioDefinition:
        """`session`: read it there if need be (a caller in a transaction: no second
        connection taken from the pool while it holds the write turn)."""
        key = (scenario_id, version)
        if key not in self._cache:
            if session is not None:
                self._cache[key] = await get_definition(
                    session, scenario_id=scenario_id, version=version
                )
            else:
                async with self.db.reading() as reading:
                    self._cache[key] = await get_definition(
                        reading, scenario_id=scenario_id, version=version
                    )
        return self._cache[key]

    async def message_step(self, scenario_id: str, version: int, step_id: str) -> MessageStep:
        step = (await self.get(scenario_id, version)).step(step_id)
        if not isinstance(step, MessageStep):
            raise LookupError(f"scenario {scenario_id} v{version} has no message step {step_id!r}")
        return step
