"""LINE's user ID as a pattern, on the standard library alone: the `stepline` command checks
one without importing pydantic (domain/ids.py builds the pydantic type from it)."""

import re

USER_ID_PATTERN = r"^U[0-9a-f]{32}$"
_USER_ID = re.compile(USER_ID_PATTERN)


def is_user_id(text: str) -> bool:
    return _USER_ID.match(text) is not None
