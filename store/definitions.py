"""Scenario versions never change once written, so each process reads one at most once."""

from scenarios.definition import MessageStep, ScenarioDefinition, walk_steps
from store.db import Database
from store.scenarios import get_definition


class Definitions:
    def __init__(self, db: Database):
        self.db = db
        self._cache: dict[tuple[str, int], ScenarioDefinition] = {}

    async def get(self, scenario_id: str, version: int) -> ScenarioDefinition:
        key = (scenario_id, version)
        if key not in self._cache:
            async with self.db.session() as session:
                self._cache[key] = await get_definition(
                    session, scenario_id=scenario_id, version=version
                )
        return self._cache[key]

    async def messages(self, scenario_id: str, version: int, step_id: str) -> list[dict]:
        definition = await self.get(scenario_id, version)
        for _, step in walk_steps(definition.steps):
            if step.id == step_id and isinstance(step, MessageStep):
                return step.messages
        raise LookupError(f"scenario {scenario_id} v{version} has no message step {step_id!r}")
