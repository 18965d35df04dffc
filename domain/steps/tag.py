"""`tag`: add tags to the friend, or remove them."""

from typing import Literal

from pydantic import Field, model_validator

from domain.steps.base import StepKind
from domain.steps.parts import Name


class TagStep(StepKind):
    type: Literal["tag"]
    add: list[Name] = Field(default_factory=list, max_length=100)
    remove: list[Name] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _something(self) -> "TagStep":
        if not self.add and not self.remove:
            raise ValueError("needs tags to `add` or `remove`")
        if both := sorted(set(self.add) & set(self.remove)):
            raise ValueError(f"tags both added and removed: {', '.join(both)}")
        return self

    def words(self) -> str:
        return " ".join([*(f"+{tag}" for tag in self.add), *(f"−{tag}" for tag in self.remove)])
