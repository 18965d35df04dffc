"""What every model of a definition shares."""

from pydantic import ConfigDict

# shared by every definition model: strict fields, immutable, aliases (`in`, `not`) both ways,
# finite numbers (infinity, from YAML's .inf, could be neither stored as JSON nor sent back)
MODEL_CONFIG = ConfigDict(
    extra="forbid",
    frozen=True,
    allow_inf_nan=False,
    validate_by_name=True,
    validate_by_alias=True,
    serialize_by_alias=True,
)

Scalar = str | int | float | bool
