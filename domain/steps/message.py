"""`message`: push 1–5 LINE message objects, within the step's window if it has one."""

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from domain.steps.base import StepKind, short
from domain.steps.parts import Window


class MessageStep(StepKind):
    type: Literal["message"]
    SENDS = True
    messages: list[dict[str, Any]] = Field(min_length=1, max_length=5)
    window: Window | None = None
    track_links: bool = True
    # LINE's notificationDisabled: delivered without the phone's sound or banner
    silent: bool = False
    # what `{displayName}` / `{attribute:NAME}` become when the friend has no value (keys
    # are checked with the placeholders themselves, by scenarios.validate)
    defaults: dict[str, Annotated[str, StringConstraints(max_length=1000)]] = Field(
        default_factory=dict, max_length=100
    )

    def words(self) -> str:
        first = self.messages[0]
        text = first.get("text") or first.get("altText") or f"({first.get('type', 'message')})"
        more = f" (+{len(self.messages) - 1})" if len(self.messages) > 1 else ""
        window = f" · {self.window.start}–{self.window.end}" if self.window else ""
        return short(str(text)) + more + window + (" · silent" if self.silent else "")
