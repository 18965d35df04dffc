"""The survey step in a definition: LINE's quick-reply limits, its two ways out walked like a
wait_for's, and its box in the dashboard's step graph."""

import pytest

from api.dashboard.graph import step_graph
from domain.steps import SurveyOption, SurveyStep
from scenarios.validate import DefinitionError, validate_definition


def survey(**fields) -> dict:
    step = {
        "id": "ask",
        "type": "survey",
        "question": "How did you find us?",
        "options": [{"label": "Instagram", "value": "instagram"}, {"label": "Friend", "value": 2}],
        "attribute": "source",
        "timeout": "P3D",
        **fields,
    }
    return {"name": "s", "trigger": {"type": "follow"}, "steps": [step]}


def test_a_survey_reads_back_as_written():
    then = [{"id": "thanks", "type": "message", "messages": [{"type": "text", "text": "Thx"}]}]
    definition = validate_definition(survey(then=then))
    step = definition.steps[0]
    assert isinstance(step, SurveyStep)
    assert step.options == [
        SurveyOption(label="Instagram", value="instagram"),
        SurveyOption(label="Friend", value=2),
    ]
    assert step.delta.days == 3
    assert definition.step("thanks").id == "thanks"
    assert definition.after("thanks") == [[], []]
    assert validate_definition(definition.dump()) == definition
    free = validate_definition(survey(options=None)).steps[0]
    assert free.options is None


@pytest.mark.parametrize(
    ("fields", "path", "words"),
    [
        ({"options": []}, "steps[0].options", "at least 1"),
        (
            {"options": [{"label": f"o{i}", "value": i} for i in range(14)]},
            "steps[0].options",
            "at most 13",
        ),
        ({"options": [{"label": "x" * 21, "value": 1}]}, "steps[0].options[0].label", "at most 20"),
        ({"options": [{"label": "", "value": 1}]}, "steps[0].options[0].label", "at least 1"),
        (
            {"options": [{"label": "a", "value": 1}, {"label": "a", "value": 2}]},
            "steps[0].options",
            "unique",
        ),
        ({"options": [{"label": "a", "value": [1]}]}, "steps[0].options[0].value", ""),
        ({"question": ""}, "steps[0].question", "at least 1"),
        ({"question": "q" * 5001}, "steps[0].question", "at most 5000"),
        ({"question": "Hi {displayname}"}, "steps[0].question", "{displayName}"),
        ({"attribute": ""}, "steps[0].attribute", "at least 1"),
        ({"timeout": "P400D"}, "steps[0].timeout", "365 days"),
        ({"timeout": "soon"}, "steps[0].timeout", ""),
        (
            {"then": [{"id": "ask", "type": "wait", "duration": "P1D"}]},
            "steps[0].then[0].id",
            "already used",
        ),
    ],
)
def test_a_bad_survey_is_refused_naming_the_field(fields, path, words):
    with pytest.raises(DefinitionError) as refused:
        validate_definition(survey(**fields))
    paths = {error["path"]: error["msg"] for error in refused.value.errors}
    assert path in paths, refused.value.errors
    assert words in paths[path]


def test_the_graph_shows_the_question_and_both_ways():
    definition = validate_definition(
        survey(
            then=[{"id": "yes", "type": "wait", "duration": "P1D"}],
            on_timeout=[{"id": "no", "type": "wait", "duration": "P2D"}],
        )
    )
    numbers = {"branches": [{"step": "ask", "label": "then", "taken": 4}]}
    (node,) = step_graph(definition, numbers)
    assert node.type == "survey"
    assert node.summary == "How did you find us? (2 options → source), at most P3D"
    assert [(way.label, way.note, way.numbers.get("taken")) for way in node.ways] == [
        ("then", "answered", 4),
        ("on_timeout", "no answer", None),
    ]
    assert [[n.id for n in way.nodes] for way in node.ways] == [["yes"], ["no"]]
