"""Column helpers shared by the tables (store/tables.py, store/pipeline_tables.py)."""

from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Integer
from sqlmodel import Field

from store.types import UTCDateTime, utcnow

SEQ = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER keys only

__all__ = ["SEQ", "UTCDateTime", "json_column", "moment", "now"]


def moment(*, index: bool = False, nullable: bool = True) -> Any:
    """An optional aware UTC datetime."""
    return Field(default=None, sa_type=UTCDateTime, index=index, nullable=nullable)


def now() -> Any:
    """An aware UTC datetime that defaults to the moment the row is made."""
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def json_column() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
