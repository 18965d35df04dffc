"""LINE identifiers."""

from typing import Annotated

from pydantic import StringConstraints

from domain.line_ids import USER_ID_PATTERN

UserId = Annotated[str, StringConstraints(pattern=USER_ID_PATTERN)]

# A test send's runs (POST /scenarios/{id}/test-sends) have workflow ids of their own,
# `test:{scenario_id}:{user_id}:{n}`: never an enrollment's, and never counted as one.
TEST_PREFIX = "test:"


def is_test(enrollment_id: str) -> bool:
    """Whether this enrollment id is a test send's run."""
    return enrollment_id.startswith(TEST_PREFIX)
