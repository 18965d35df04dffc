"""Step kinds as one extension point: every kind registered in domain/steps (KINDS) has its
workflow handler (workflows/steps, HANDLERS), and nothing is handled that is not a kind."""

import typing

from domain.steps import KINDS, Step
from workflows.steps import HANDLERS


def test_every_step_kind_has_a_workflow_handler() -> None:
    assert set(HANDLERS) == set(KINDS)


def test_the_step_union_is_the_registered_kinds() -> None:
    union = typing.get_args(typing.get_args(Step)[0])
    assert union == KINDS
