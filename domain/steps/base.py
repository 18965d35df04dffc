"""What every step kind is asked by the rest of stepline, beside its own fields: the step
lists inside it (`children`), the ways a friend can go out of it (`ways`, with the labels
its decisions record), the conditions it holds (`conditions`) and a line saying what it does
(`words`), and what walking it costs (`SENDS`, `ENDS`). A new kind is a module here, registered
in the `Step` union (domain/steps/__init__.py)."""

import json
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, Field

from domain.base import MODEL_CONFIG
from domain.steps.parts import STEP_ID

if TYPE_CHECKING:
    from domain.steps import Step

PREVIEW = 60  # characters of a message or a condition in a step's words


def short(text: str) -> str:
    """`text` on one line, cut to PREVIEW characters."""
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1] + "…"


def condition_text(condition: BaseModel) -> str:
    """A condition as its JSON, cut to PREVIEW characters."""
    dumped = condition.model_dump(mode="json", exclude_none=True)
    return short(json.dumps(dumped, ensure_ascii=False, separators=(", ", ": ")))


class StepKind(BaseModel):
    model_config = MODEL_CONFIG
    id: str = Field(pattern=STEP_ID)
    # the keys of its document that hold step lists: `then` (a list of steps), `arms.steps` (a
    # list of options, each with its steps); read before validation (scenarios/limits.py)
    LISTS: ClassVar[tuple[str, ...]] = ()
    # what walking it costs, for the walks that look ahead without running it (the quota
    # forecast, the overlap warning): SENDS, one message pushed on entering it; ENDS, the
    # enrollment goes no further; a kind that waits is a WaitStep or an AwaitsFriend. A kind
    # that is none of these takes no time and sends nothing (tag, attribute, rich_menu).
    SENDS: ClassVar[bool] = False
    ENDS: ClassVar[bool] = False

    def children(self) -> list[tuple[str, list["Step"]]]:
        """The step lists inside this step, with their path relative to it (`otherwise`,
        `branches[0].steps`), in the order a friend could meet them."""
        return []

    def ways(self) -> list[tuple[str, str, list["Step"]]]:
        """(label, a few words on when it is taken, its steps) for each way out of a step that
        decides (a branch, a split, a wait_for, a survey): the label its decision records."""
        return []

    def conditions(self) -> list[tuple[str, Any]]:
        """(path relative to the step, condition) for each condition the step holds."""
        return []

    def words(self) -> str:
        """One line saying what the step does (the dashboard's step graph)."""
        raise NotImplementedError
