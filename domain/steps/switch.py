"""`switch`: end this enrollment and enrol the friend into another scenario."""

from typing import Literal

from pydantic import Field

from domain.steps.base import StepKind


class SwitchStep(StepKind):
    """End this enrollment and enrol the friend into another scenario."""

    type: Literal["switch"]
    ENDS = True
    scenario: str = Field(min_length=1, max_length=32)

    def words(self) -> str:
        return f"→ scenario {self.scenario}"
