"""`wait_for`: until a condition holds (an event, a click, a tag…) or the timeout passes."""

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from domain.conditions import Condition
from domain.steps.awaiting import AwaitsFriend
from domain.steps.base import condition_text
from domain.steps.parts import WaitPeriod

if TYPE_CHECKING:
    from domain.steps import Step


class WaitForStep(AwaitsFriend):
    """Wait until a condition holds (an event, a click, a tag…) or the timeout passes."""

    type: Literal["wait_for"]
    until: Condition
    timeout: WaitPeriod
    then: list["Step"] = Field(default_factory=list)
    on_timeout: list["Step"] = Field(default_factory=list)

    def ways(self) -> list[tuple[str, str, list["Step"]]]:
        return [
            ("then", "the condition held", self.then),
            ("on_timeout", "timed out", self.on_timeout),
        ]

    def conditions(self) -> list[tuple[str, Any]]:
        return [("until", self.until)]

    def words(self) -> str:
        return f"until {condition_text(self.until)}, at most {self.timeout}"
