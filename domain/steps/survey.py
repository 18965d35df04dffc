"""`survey`: ask a question (アンケート) and store the friend's answer in an attribute."""

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field, field_validator

from domain.base import MODEL_CONFIG, Scalar
from domain.steps.awaiting import AwaitsFriend
from domain.steps.base import short
from domain.steps.parts import Name, WaitPeriod, Window

if TYPE_CHECKING:
    from domain.steps import Step


class SurveyOption(BaseModel):
    """One answer a friend can tap: `label` on the quick-reply button (LINE allows 20
    characters), `value` what the friend's attribute is set to."""

    model_config = MODEL_CONFIG
    label: str = Field(min_length=1, max_length=20)
    value: Scalar


class SurveyStep(AwaitsFriend):
    """Ask a question (アンケート) and wait for the answer up to `timeout`: with `options`, as
    quick-reply buttons (LINE allows 13); without, the friend's next text message is the
    answer. The answer is stored in the friend's `attribute`; then `then`, or `on_timeout`."""

    type: Literal["survey"]
    SENDS = True
    question: str = Field(min_length=1, max_length=5000)  # one LINE text message
    options: list[SurveyOption] | None = Field(None, min_length=1, max_length=13)
    attribute: Name
    timeout: WaitPeriod
    window: Window | None = None
    then: list["Step"] = Field(default_factory=list)
    on_timeout: list["Step"] = Field(default_factory=list)

    @field_validator("options")
    @classmethod
    def _distinct(cls, options: list[SurveyOption] | None) -> list[SurveyOption] | None:
        labels = [option.label for option in options or []]
        if len(set(labels)) != len(labels):
            raise ValueError("option labels must be unique")
        return options

    def ways(self) -> list[tuple[str, str, list["Step"]]]:
        return [("then", "answered", self.then), ("on_timeout", "no answer", self.on_timeout)]

    def words(self) -> str:
        answers = f"{len(self.options)} options" if self.options else "free text"
        return f"{short(self.question)} ({answers} → {self.attribute}), at most {self.timeout}"
