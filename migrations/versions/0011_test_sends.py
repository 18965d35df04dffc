"""testsend: test sends (LINE's テスト配信) as they were asked

A test send's runs are enrollment rows with a test run's id (`test:…`), left out of every
count; this table keeps each request: the version, the step or the walk, the testers, the
operation that follows it, and the caller's Idempotency-Key.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "testsend",
        sa.Column("seq", _SEQ, nullable=False),
        sa.Column("scenario_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("step_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("wait_seconds", sa.Integer(), nullable=True),
        sa.Column("user_ids", sa.JSON(), nullable=False),
        sa.Column("operation_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sqlite_autoincrement=True,  # a seq names test runs: never used twice
    )
    with op.batch_alter_table("testsend", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_testsend_scenario_id"), ["scenario_id"])
        batch_op.create_index(
            batch_op.f("ix_testsend_idempotency_key"), ["idempotency_key"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("testsend", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_testsend_idempotency_key"))
        batch_op.drop_index(batch_op.f("ix_testsend_scenario_id"))
    op.drop_table("testsend")
