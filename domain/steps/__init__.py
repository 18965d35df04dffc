"""The step kinds (docs/CONTRACT.md §3.1), one module each. `Step` below is the one list where a
kind is registered: the definition's documents, its validation and the Temporal payloads read
steps through it, and the rest of stepline asks a step what base.StepKind says (its child
lists, ways out, conditions and words) rather than which kind it is."""

from collections.abc import Iterator
from typing import Annotated, Union

from pydantic import Field

from domain.steps.attribute import AttributeStep
from domain.steps.awaiting import AwaitsFriend
from domain.steps.base import StepKind
from domain.steps.branch import Branch, BranchStep
from domain.steps.message import MessageStep
from domain.steps.parts import Window
from domain.steps.rich_menu import RichMenuStep
from domain.steps.split import Arm, SplitStep
from domain.steps.survey import SurveyOption, SurveyStep
from domain.steps.switch import SwitchStep
from domain.steps.tag import TagStep
from domain.steps.wait import DateUntil, WaitStep
from domain.steps.wait_for import WaitForStep

KINDS: tuple[type[StepKind], ...] = (
    MessageStep,
    WaitStep,
    BranchStep,
    WaitForStep,
    SplitStep,
    TagStep,
    AttributeStep,
    SwitchStep,
    RichMenuStep,
    SurveyStep,
)
Step = Annotated[Union[KINDS], Field(discriminator="type")]  # noqa: UP007
for _model in (Branch, BranchStep, WaitForStep, Arm, SplitStep, SurveyStep):
    _model.model_rebuild(_types_namespace={"Step": Step})


def walk_steps(steps: list[Step], path: str = "steps") -> Iterator[tuple[str, Step]]:
    """Every step with its path, depth first, in the order a friend could meet them."""
    for index, step in enumerate(steps):
        here = f"{path}[{index}]"
        yield here, step
        for name, children in step.children():
            yield from walk_steps(children, f"{here}.{name}")


__all__ = [
    "KINDS",
    "AwaitsFriend",
    "Arm",
    "AttributeStep",
    "Branch",
    "BranchStep",
    "DateUntil",
    "MessageStep",
    "RichMenuStep",
    "SplitStep",
    "Step",
    "StepKind",
    "SurveyOption",
    "SurveyStep",
    "SwitchStep",
    "TagStep",
    "WaitForStep",
    "WaitStep",
    "Window",
    "walk_steps",
]
