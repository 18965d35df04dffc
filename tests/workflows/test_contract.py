"""The workflow ↔ activity contract: each activity the workflows call by method reference
(workflows/contract.py) is implemented once, under the same name, taking and answering the
same types, and the worker registers every one of them."""

import pytest
from temporalio import activity

import activities  # noqa: F401  (the implementations subclass the definitions)
from activities.dates import DateActivities
from activities.journeys import JourneyActivities
from activities.progress import StoreActivities
from activities.richmenu import RichMenuActivities
from activities.sending import SendActivities
from activities.survey import SurveyActivities
from workflows import contract

IMPLEMENTATIONS = {
    contract.Sending: SendActivities,
    contract.Progress: StoreActivities,
    contract.Journeys: JourneyActivities,
    contract.RichMenus: RichMenuActivities,
    contract.Surveys: SurveyActivities,
    contract.Dates: DateActivities,
}


def test_every_definition_has_its_implementation() -> None:
    assert set(IMPLEMENTATIONS) == set(contract.DEFINITIONS)
    for definition, implementation in IMPLEMENTATIONS.items():
        assert issubclass(implementation, definition)


@pytest.mark.parametrize(
    ("definition", "name"),
    [(d, n) for d in contract.DEFINITIONS for n in contract.names(d)],
    ids=lambda value: value if isinstance(value, str) else value.__name__,
)
def test_an_implementation_takes_and_answers_what_its_definition_says(
    definition: type, name: str
) -> None:
    declared = activity._Definition.must_from_callable(getattr(definition, name))
    done = activity._Definition.must_from_callable(getattr(IMPLEMENTATIONS[definition], name))
    assert (done.name, done.arg_types, done.ret_type) == (
        declared.name,
        declared.arg_types,
        declared.ret_type,
    )


def test_the_worker_registers_every_defined_activity_once() -> None:
    instances = [cls.__new__(cls) for cls in IMPLEMENTATIONS.values()]
    registered = contract.implemented(*instances)
    names = [activity._Definition.must_from_callable(fn).name for fn in registered]
    assert sorted(names) == sorted(n for d in contract.DEFINITIONS for n in contract.names(d))
    assert len(names) == len(set(names)) == 12
    with pytest.raises(TypeError, match="Surveys: 0 implementations"):
        contract.implemented(*[i for i in instances if not isinstance(i, SurveyActivities)])


async def test_a_definition_called_by_mistake_says_so() -> None:
    with pytest.raises(contract.Unimplemented):
        await contract.Progress().record_progress(None)  # type: ignore[arg-type]
