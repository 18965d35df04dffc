"""outbox and operation: the durable change pipeline, and bulk operations

Every change Temporal acts on is written in the transaction of the change; webhook events not
processed yet go into the outbox.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("seq", _SEQ, nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("lane", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("since", store.types.UTCDateTime(), nullable=False),
        sa.Column("available_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("failing_since", store.types.UTCDateTime(), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("lease_until", store.types.UTCDateTime(), nullable=True),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("operation_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sqlite_autoincrement=True,  # a seq is never used twice: signals carry it
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_lane_seq", ["lane", "seq"])
        batch_op.create_index(batch_op.f("ix_outbox_available_at"), ["available_at"])
        batch_op.create_index(batch_op.f("ix_outbox_operation_id"), ["operation_id"])
    op.create_table(
        "operation",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("scenario_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("cursor", sa.JSON(), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("finished_at", store.types.UTCDateTime(), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("operation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_operation_scenario_id"), ["scenario_id"])
    # webhook events recorded but not handled yet (the sweep of the webhookevent table took
    # them before): from now on the outbox hands them over, in the order LINE made them
    sqlite = op.get_bind().dialect.name == "sqlite"
    payload = "json_object" if sqlite else "json_build_object"
    op.execute(
        f"""
        INSERT INTO outbox (kind, lane, payload, created_at, since, available_at, attempts)
        SELECT 'webhook', user_id, {payload}('event_id', event_id), received_at,
               received_at, received_at, 0
        FROM webhookevent WHERE processed_at IS NULL
        ORDER BY timestamp_ms, received_at
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("operation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operation_scenario_id"))
    op.drop_table("operation")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_operation_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_available_at"))
        batch_op.drop_index("ix_outbox_lane_seq")
    op.drop_table("outbox")
