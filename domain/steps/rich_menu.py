"""`rich_menu`: link a rich menu to the friend, or unlink theirs."""

from typing import Literal

from pydantic import Field, model_validator

from domain.steps.base import StepKind


class RichMenuStep(StepKind):
    """Link a rich menu to the friend (LINE's per-user rich menu), or unlink theirs so that
    the default one shows again: `link: RICH_MENU_ID` or `unlink: true`, exactly one."""

    type: Literal["rich_menu"]
    link: str | None = Field(None, pattern=r"^richmenu-[0-9A-Za-z_\-]{1,64}$")
    unlink: Literal[True] | None = None

    @model_validator(mode="after")
    def _one_way(self) -> "RichMenuStep":
        if (self.link is None) == (self.unlink is None):
            raise ValueError(
                "a rich_menu step takes `link: RICH_MENU_ID` or `unlink: true`, exactly one"
            )
        return self

    def words(self) -> str:
        return ""  # its box in the step graph shows its id and type alone
