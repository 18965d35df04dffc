"""What the enrollment workflow does for each step kind: one module per kind, registered here.
A handler takes the journey, the step and the id of the step that follows it (for the Temporal
UI's words), and answers the steps to walk next inside it (a branch's, an arm's), or None."""

from collections.abc import Awaitable, Callable
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.steps import (
        AttributeStep,
        BranchStep,
        MessageStep,
        RichMenuStep,
        SplitStep,
        Step,
        SurveyStep,
        SwitchStep,
        TagStep,
        WaitForStep,
        WaitStep,
    )
    from workflows.journey import Journey
    from workflows.steps import (
        branch,
        friend,
        message,
        rich_menu,
        split,
        survey,
        switch,
        wait,
        wait_for,
    )

Handler = Callable[[Journey, Any, str], Awaitable[list[Step] | None]]

HANDLERS: dict[type, Handler] = {
    WaitStep: wait.run,
    MessageStep: message.run,
    BranchStep: branch.run,
    WaitForStep: wait_for.run,
    SplitStep: split.run,
    TagStep: friend.run,
    AttributeStep: friend.run,
    SwitchStep: switch.run,
    RichMenuStep: rich_menu.run,
    SurveyStep: survey.run,
}
