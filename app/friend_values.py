"""What a friend's attributes and tags may be (`PUT /friends/{user_id}/attributes`, the tag
routes, the dashboard's friend page): one set of rules, one set of messages."""

import math
from typing import Annotated, Any

from pydantic import BeforeValidator, StringConstraints, TypeAdapter
from pydantic_core import PydanticCustomError

Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]  # an attribute or a tag


def _scalar(value: Any) -> Any:
    # one clear error per key, instead of one per member of the union below
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    raise PydanticCustomError(
        "attribute_value", "must be a string, a finite number, true, false or null (to remove it)"
    )


AttributeValue = Annotated[str | int | float | bool | None, BeforeValidator(_scalar)]
NAME = TypeAdapter(Name)
VALUE = TypeAdapter(AttributeValue)
