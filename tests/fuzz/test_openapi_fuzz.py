"""Schemathesis over the API's OpenAPI description: every operation, with data that fits the
schema and data that does not, sent with the admin token to a running stack. No answer is a
5xx, answers match the schema where it documents them, data outside the schema is refused, and
a refused request leaves every table as it was."""

import asyncio
import json
from functools import cache

import pytest
import schemathesis
from hypothesis import given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
)

from api.app import create_app
from tests.fuzz.checks import assert_refusal, snapshot
from tests.fuzz.strategies import encode, json_values, mutated
from tests.support.stack import ADMIN_TOKEN, settings_for

# the description only: the app is not started for it
SCHEMA = schemathesis.openapi.from_dict(
    create_app(settings_for(database_url="sqlite://", line_api="http://127.0.0.1:9")).openapi()
)
OPERATIONS = {result.ok().label: result.ok() for result in SCHEMA.get_all_operations()}
# nothing sent to these can be outside the schema: no body, and a path or a header is any text
NO_NEGATIVE = {"GET /healthz", "GET /readyz", "GET /r/{token}", "POST /webhooks/line"}
# a scenario definition out of its schema is test_scenario_fuzz's (it builds broken ones of
# every step kind); schemathesis' negative cases of that schema took minutes in the full run
NO_NEGATIVE |= {
    label
    for label, operation in OPERATIONS.items()
    if 'schemas/ScenarioDefinition"' in json.dumps(operation.definition.raw)
}
RUNS = [
    (label, mode)
    for label in sorted(OPERATIONS)
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if not (mode == GenerationMode.NEGATIVE and label in NO_NEGATIVE)
]
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    negative_data_rejection,
]
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@cache
def cases(label: str, mode: GenerationMode) -> st.SearchStrategy:
    return OPERATIONS[label].as_strategy(generation_mode=mode)


@pytest.mark.parametrize(("label", "mode"), RUNS, ids=[f"{label} {mode}" for label, mode in RUNS])
@settings(max_examples=4)
@given(data=st.data())
async def test_operation(fuzzed, label, mode, data):
    case = data.draw(cases(label, mode), label="case")
    writes = case.method != "GET"
    if writes:  # what earlier requests set going is done before the picture is taken
        await fuzzed.settle()
    await fuzzed.settle()
    before = await snapshot(fuzzed) if writes else None
    # schemathesis sends with requests (blocking): off the loop that serves the stack
    response = await asyncio.to_thread(
        case.call, base_url=str(fuzzed.api.base_url), headers=AUTH, allow_redirects=False
    )
    case.validate_response(response, checks=CHECKS, headers=AUTH)
    if writes and 400 <= response.status_code < 500:
        assert await snapshot(fuzzed) == before, f"{response.status_code} {response.text[:500]}"


# scenario definitions have a fuzzer of their own (test_scenario_fuzz)
JSON_BODIES = sorted(
    label
    for label, operation in OPERATIONS.items()
    if any(body.media_type == "application/json" for body in operation.body)
    and "ScenarioDefinition" not in json.dumps(operation.definition.raw)
)


@pytest.mark.parametrize("label", JSON_BODIES)
@settings(max_examples=10)
@given(data=st.data())
async def test_awkward_json_bodies(fuzzed, label, data):
    """Bodies that fit the schema, then mutated with awkward values (a lone surrogate, 1e400,
    huge integers, deep nesting …), or any JSON at all."""
    case = data.draw(cases(label, GenerationMode.POSITIVE), label="case")
    fitting = {} if isinstance(case.body, NotSet) else case.body  # an optional body left out
    body = data.draw(mutated(st.just(fitting)) | json_values, label="body")
    request = case.as_transport_kwargs(base_url=str(fuzzed.api.base_url))
    await fuzzed.settle()
    before = await snapshot(fuzzed)
    answer = await fuzzed.api.request(
        case.method,
        request["url"],
        params=request["params"],
        content=encode(body),
        headers={"Content-Type": "application/json"},
    )
    if answer.status_code >= 300:
        assert_refusal(answer)
        assert await snapshot(fuzzed) == before
