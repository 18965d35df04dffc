"""A moment given with a UTC offset that exists in UTC too: `0001-01-01T00:00:00+14:00` is
before the first moment Python (and the database) can hold in UTC, and
`9999-12-31T23:59:59-12:00` after the last, so each is a 422 naming its field, never a 500
when it is compared or stored."""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime


def in_range(value: datetime) -> datetime:
    """`value` unchanged, once it is known to have a UTC equivalent."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            "is out of range: in UTC it would fall before year 1 or after year 9999"
        ) from None
    return value


Moment = Annotated[AwareDatetime, AfterValidator(in_range)]
