"""`branch`: the first branch whose condition holds, or `otherwise`."""

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from domain.base import MODEL_CONFIG
from domain.conditions import Condition
from domain.steps.base import StepKind, condition_text

if TYPE_CHECKING:
    from domain.steps import Step

OTHERWISE = "otherwise"  # the way out when no branch holds (its decision's label is NULL)


class Branch(BaseModel):
    model_config = MODEL_CONFIG
    label: str = Field(min_length=1, max_length=100)
    when: Condition
    steps: list["Step"] = Field(default_factory=list)


class BranchStep(StepKind):
    type: Literal["branch"]
    branches: list[Branch] = Field(min_length=1, max_length=20)
    otherwise: list["Step"] | None = None
    LISTS = ("branches.steps", "otherwise")

    def children(self) -> list[tuple[str, list["Step"]]]:
        return [
            (f"branches[{b}].steps", branch.steps) for b, branch in enumerate(self.branches)
        ] + [("otherwise", self.otherwise or [])]

    def ways(self) -> list[tuple[str, str, list["Step"]]]:
        found = [(b.label, condition_text(b.when), b.steps) for b in self.branches]
        return [*found, (OTHERWISE, "none of the above", self.otherwise or [])]

    def conditions(self) -> list[tuple[str, Any]]:
        return [
            (f"branches[{index}].when", branch.when) for index, branch in enumerate(self.branches)
        ]

    def words(self) -> str:
        return f"{len(self.branches)} branch(es) and otherwise"
