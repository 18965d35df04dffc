"""`split`: a random A/B/n split by weights (scenarios/split.py picks the arm)."""

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field, model_validator

from domain.base import MODEL_CONFIG
from domain.steps.base import StepKind

if TYPE_CHECKING:
    from domain.steps import Step


class Arm(BaseModel):
    model_config = MODEL_CONFIG
    label: str = Field(min_length=1, max_length=100)
    weight: int = Field(ge=0, le=10_000)
    steps: list["Step"] = Field(default_factory=list)  # [] is a holdout: nothing is sent


class SplitStep(StepKind):
    """Random A/B/n split by weights, the same arm for the same friend every time."""

    type: Literal["split"]
    arms: list[Arm] = Field(min_length=2, max_length=20)
    LISTS = ("arms.steps",)

    @model_validator(mode="after")
    def _arms(self) -> "SplitStep":
        labels = [arm.label for arm in self.arms]
        if len(set(labels)) != len(labels):
            raise ValueError("arm labels must be unique")
        if sum(arm.weight for arm in self.arms) == 0:
            raise ValueError("at least one arm needs a weight above 0")
        return self

    def children(self) -> list[tuple[str, list["Step"]]]:
        return [(f"arms[{a}].steps", arm.steps) for a, arm in enumerate(self.arms)]

    def ways(self) -> list[tuple[str, str, list["Step"]]]:
        total = sum(arm.weight for arm in self.arms) or 1
        return [
            (a.label, f"weight {a.weight} ({a.weight / total:.0%})", a.steps) for a in self.arms
        ]

    def words(self) -> str:
        return " / ".join(f"{arm.label} {arm.weight}" for arm in self.arms)
