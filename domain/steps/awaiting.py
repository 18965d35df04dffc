"""What `wait_for` and `survey` share: they wait for the friend to act, up to `timeout`, then
go on with `then` when the friend did and `on_timeout` when the time ran out."""

from datetime import timedelta
from typing import TYPE_CHECKING

from domain.durations import parse_duration
from domain.steps.base import StepKind

if TYPE_CHECKING:
    from domain.steps import Step


class AwaitsFriend(StepKind):
    """A kind that waits for the friend (its fields stay on each kind, in their document order)."""

    LISTS = ("then", "on_timeout")
    if TYPE_CHECKING:
        timeout: str
        then: list[Step]
        on_timeout: list[Step]

    @property
    def delta(self) -> timedelta:
        """How long it waits at most."""
        return parse_duration(self.timeout)

    def children(self) -> list[tuple[str, list["Step"]]]:
        return [("then", self.then), ("on_timeout", self.on_timeout)]
