"""LINE identifiers."""

from typing import Annotated

from pydantic import StringConstraints

USER_ID_PATTERN = r"^U[0-9a-f]{32}$"
UserId = Annotated[str, StringConstraints(pattern=USER_ID_PATTERN)]
