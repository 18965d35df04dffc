"""Step kinds as one extension point: every kind registered in domain/steps (KINDS) has its
workflow handler (workflows/steps, HANDLERS), and nothing is handled that is not a kind; the
walks that look ahead ask a kind what it costs."""

import typing
from datetime import UTC, datetime, timedelta

from app.overlaps import _walk
from domain.steps import KINDS, Step
from domain.steps.base import StepKind
from scenarios.definition import ScenarioDefinition
from scenarios.forecast import Walk
from workflows.steps import HANDLERS


def test_every_step_kind_has_a_workflow_handler() -> None:
    assert set(HANDLERS) == set(KINDS)


def test_the_step_union_is_the_registered_kinds() -> None:
    union = typing.get_args(typing.get_args(Step)[0])
    assert union == KINDS


class Ping(StepKind):
    """A kind stepline has never seen, declaring only what walking it costs."""

    type: typing.Literal["ping"]
    SENDS = True

    def words(self) -> str:
        return "ping"


class Stop(StepKind):
    type: typing.Literal["stop"]
    ENDS = True

    def words(self) -> str:
        return "stop"


def test_the_walks_ahead_ask_a_kind_what_it_costs_not_which_kind_it_is() -> None:
    """The quota forecast and the overlap warning count a new kind's message and stop at its
    end from its SENDS / ENDS alone (docs/ARCHITECTURE.md, adding a step kind)."""
    now = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
    walk = Walk(
        definition=ScenarioDefinition.model_validate(
            {
                "name": "t",
                "trigger": {"type": "follow"},
                "steps": [{"id": "x", "type": "tag", "add": ["x"]}],
            }
        ),
        policy=None,
        now=now,
        horizon=now + timedelta(days=30),
    )
    steps: list = [Ping(id="a", type="ping"), Ping(id="b", type="ping"), Stop(id="c", type="stop")]
    assert walk.run([*steps, Ping(id="d", type="ping")], [(now, 1.0)]) == []
    assert walk.pushes == [(now, 1.0), (now, 1.0)]
    assert _walk([*steps, Ping(id="d", type="ping")], timedelta(0), now)[:1] == (2,)
