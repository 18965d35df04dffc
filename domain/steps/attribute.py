"""`attribute`: set the friend's attributes (null removes one)."""

from typing import Literal

from pydantic import Field

from domain.base import Scalar
from domain.steps.base import StepKind, short
from domain.steps.parts import Name


class AttributeStep(StepKind):
    type: Literal["attribute"]
    set: dict[Name, Scalar | None] = Field(min_length=1, max_length=100)  # null removes

    def words(self) -> str:
        return short(", ".join(f"{name}={value}" for name, value in self.set.items()))
